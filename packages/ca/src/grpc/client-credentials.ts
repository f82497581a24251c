import { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { checkServerIdentity, PeerCertificate } from 'node:tls';
import { MANAGER_OU } from '../roles.js';

/**
 * Clients never check a manager by its address: they ask for "a manager of
 * this cluster". Every manager certificate carries the DNS SAN
 * `flotilla-manager`, and the subject must say OU=flotilla-manager and
 * O=<cluster ID>. A worker certificate from the same CA therefore cannot pose
 * as a manager, and dialling an IP needs no IP SAN (and no DEP0123 warning).
 */
export const MANAGER_CHANNEL_OPTIONS: ChannelOptions = { 'grpc.ssl_target_name_override': MANAGER_OU };

export function managerIdentityCheck(clusterId: string) {
  return (_host: string, cert: PeerCertificate): Error | undefined => {
    const sanError = checkServerIdentity(MANAGER_OU, cert);
    if (sanError) return sanError;
    const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
    if (subject.OU !== MANAGER_OU) return new Error(`the server's certificate is for a ${String(subject.OU)}, not a manager`);
    if (subject.O !== clusterId) return new Error(`the server's certificate belongs to cluster ${String(subject.O)}, not ${clusterId}`);
    return undefined;
  };
}

/** Verified against the pinned root CA; with a client certificate once the node has one. */
export function managerChannelCredentials(options: { caCertPem: string; clusterId: string; certPem?: string; keyPem?: string }): ChannelCredentials {
  return ChannelCredentials.createSsl(
    Buffer.from(options.caCertPem),
    options.keyPem === undefined ? null : Buffer.from(options.keyPem),
    options.certPem === undefined ? null : Buffer.from(options.certPem),
    { checkServerIdentity: managerIdentityCheck(options.clusterId) },
  );
}

/**
 * Only for fetching the root CA before joining: nothing is trusted yet, and
 * the answer is worthless until it matches the join token's digest.
 */
export function unverifiedChannelCredentials(): ChannelCredentials {
  return ChannelCredentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
}
