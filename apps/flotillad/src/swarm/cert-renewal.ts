import { X509Certificate } from 'node:crypto';
import { startCertificateRenewal, type CertificateRenewer, type NodeCredentials } from '@flotilla/ca';
import type { Logger } from 'pino';
import { renewForRole } from './role-change.js';
import { writeNodePems, type SwarmFiles, type SwarmState } from './swarm-state.js';

/**
 * Test/ops knob: renew this many ms after each certificate is issued instead of at a random point in
 * the last 50-20 % of its validity (a 1 h certificate, the shortest the cluster allows, would make an
 * end-to-end test wait half an hour). Unset in production.
 */
export const RENEW_AFTER_ENV = 'FLOTILLA_CERT_RENEW_AFTER_MS';

/** The knob's value: undefined when unset; a clear error for anything but a positive integer. Pure. */
export function renewAfterMsFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[RENEW_AFTER_ENV];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${RENEW_AFTER_ENV}=${raw}: expected a positive whole number of milliseconds`);
  return ms;
}

/**
 * Where a worker renews: the manager it joined through first, then every manager whose NATS server
 * it knows, on the same CA port (managers share their join/CA port, like Docker's 2377), so a
 * worker whose first manager is gone still renews. Pure.
 */
export function workerRenewalAddrs(state: Pick<SwarmState, 'joinedVia' | 'natsServers'>): string[] {
  const via = state.joinedVia ?? '';
  const port = /:(\d+)$/.exec(via)?.[1];
  const addrs = via !== '' ? [via] : [];
  if (port === undefined) return addrs;
  for (const url of state.natsServers) {
    const hostPort = url.replace(/^[a-z]+:\/\//, '');
    const host = hostPort.slice(0, hostPort.lastIndexOf(':'));
    const addr = `${host}:${port}`;
    if (host !== '' && !addrs.includes(addr)) addrs.push(addr);
  }
  return addrs;
}

export interface NodeCertRenewalOptions {
  files: SwarmFiles;
  state: SwarmState;
  /** Managers (host:port of their CA listener) to renew at, tried in order; asked at each renewal. */
  managerAddrs(): readonly string[];
  /** Swaps the new certificate into every live TLS user (NATS connections, servers). */
  applyTls(creds: NodeCredentials): Promise<void>;
  log: Logger;
  renewAfterMs?: number;
}

/**
 * Keeps this node's certificate fresh through the same renewal call a role change uses: the CA
 * re-issues the node's current role with the cluster's cert expiry; the new files are written
 * (each atomically) before any TLS user is switched, so a crash in between restarts on the new
 * certificate. A refusal (removed node, role changing) is logged and retried with backoff.
 */
export function startNodeCertRenewal(options: NodeCertRenewalOptions, current: NodeCredentials): CertificateRenewer {
  const { files, state, log } = options;
  let stopped = false;
  const renewer = startCertificateRenewal({
    current,
    renew: () => renewForRole(files, state, options.managerAddrs(), state.role),
    onRenewed: async (next) => {
      // A runtime stopping for a role change or leave owns the files from now on.
      if (stopped) throw new Error(`node ${state.nodeId} stopped while renewing its certificate; the new one is dropped`);
      await writeNodePems(files, { certPem: next.certPem, keyPem: next.keyPem, caCertPem: next.caCertPem });
      await options.applyTls(next);
      const cert = new X509Certificate(next.certPem);
      log.info({ nodeId: state.nodeId, serial: cert.serialNumber, notAfter: new Date(cert.validTo).toISOString(), role: next.role }, 'node certificate renewed');
    },
    onError: (err, attempt) => {
      if (!stopped) log.warn({ nodeId: state.nodeId, attempt, err: (err as Error).message }, 'renewing the node certificate failed; retrying');
    },
    ...(options.renewAfterMs !== undefined ? { renewAt: () => new Date(Date.now() + options.renewAfterMs!) } : {}),
  });
  const certificate = new X509Certificate(current.certPem);
  log.info({ nodeId: state.nodeId, notAfter: new Date(certificate.validTo).toISOString(), renewAfterMs: options.renewAfterMs }, 'certificate renewal scheduled');
  return {
    renewNow: () => renewer.renewNow(),
    current: () => renewer.current(),
    stop: () => {
      stopped = true;
      renewer.stop();
    },
  };
}
