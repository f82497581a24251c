// Service identities (issue 16): the certificate of a manager service running as its own process.
// CN = a service instance id (chosen by the CA), OU = flotilla-service-<service>, O = the cluster.
// Its DNS SANs are the OU (nats-server maps the certificate to the user of that name, whose
// permissions are the service's: @flotilla/bus servicePermissions) and the instance id. No node
// role: the control API, NodeCa renewal and NATS routes refuse it (they want a node's OU).
import { X509Certificate } from 'node:crypto';
import { MANAGER_SERVICES, isManagerServiceName, type ManagerServiceName } from '@flotilla/api';
import { servicePermissions, type ClusterSubjects, type NatsUser } from '@flotilla/bus';
import { CaError } from './errors.js';
import { isValidNodeId } from './ids.js';
import { resolveNodeCertExpiry, signLeafCertificate } from './node-cert.js';
import { issuingRootIn } from './pem-bundle.js';
import type { RootCaMaterial } from './root-ca.js';

export const SERVICE_OU_PREFIX = 'flotilla-service-';

export function serviceOu(service: ManagerServiceName): string {
  return `${SERVICE_OU_PREFIX}${service}`;
}

/** The nats-server user of a service's identities (the SAN its certificates carry first). */
export function serviceNatsUser(service: ManagerServiceName): string {
  return serviceOu(service);
}

export function serviceFromOu(ou: string): ManagerServiceName | undefined {
  if (!ou.startsWith(SERVICE_OU_PREFIX)) return undefined;
  const name = ou.slice(SERVICE_OU_PREFIX.length);
  return isManagerServiceName(name) ? name : undefined;
}

export interface ServiceIdentity {
  instanceId: string;
  service: ManagerServiceName;
  clusterId: string;
  notBefore: Date;
  notAfter: Date;
}

export interface SignServiceCertificateOptions {
  rootCa: RootCaMaterial;
  csrPem: string;
  service: ManagerServiceName;
  instanceId: string;
  clusterId: string;
  expiryMs?: number | undefined;
  now?: Date;
}

export function signServiceCertificate(o: SignServiceCertificateOptions): string {
  if (!isManagerServiceName(o.service)) throw new CaError('invalid-argument', `signing a service certificate: "${String(o.service)}" is not a manager service`);
  if (!isValidNodeId(o.instanceId)) throw new CaError('invalid-argument', `signing a service certificate: "${o.instanceId}" is not a valid instance id`);
  if (o.clusterId.trim() === '') throw new CaError('invalid-argument', `signing a certificate for service instance ${o.instanceId}: clusterId must be non-empty`);
  return signLeafCertificate({
    rootCa: o.rootCa,
    csrPem: o.csrPem,
    subject: { cn: o.instanceId, ou: serviceOu(o.service), o: o.clusterId },
    hosts: [serviceNatsUser(o.service), o.instanceId],
    expiryMs: resolveNodeCertExpiry(o.expiryMs),
    what: `${o.service} instance ${o.instanceId}`,
    ...(o.now ? { now: o.now } : {}),
  });
}

function field(subject: string, key: string): string | undefined {
  for (const line of subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq) === key) return line.slice(eq + 1);
  }
  return undefined;
}

/** Checks a service certificate against the root CA(s) and the cluster; returns its identity. */
export function verifyServiceCertificate(certPem: string | Buffer, options: { caCertPem: string; clusterId?: string; now?: Date }): ServiceIdentity {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new CaError('certificate-invalid', `verifying a service certificate: not a valid certificate (${(err as Error).message})`);
  }
  if (issuingRootIn(cert, options.caCertPem) === undefined) throw new CaError('certificate-invalid', `verifying service certificate ${cert.serialNumber}: not signed by the cluster's root CA`);
  const instanceId = field(cert.subject, 'CN');
  const service = serviceFromOu(field(cert.subject, 'OU') ?? '');
  const clusterId = field(cert.subject, 'O');
  if (instanceId === undefined || service === undefined || clusterId === undefined) {
    throw new CaError('certificate-invalid', `verifying a service certificate: subject "${cert.subject.replace(/\n/g, ', ')}" is not a flotilla service identity`);
  }
  const identity = { instanceId, service, clusterId, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
  const now = options.now ?? new Date();
  if (now < identity.notBefore || now > identity.notAfter) throw new CaError('certificate-invalid', `verifying the certificate of service instance ${instanceId}: not valid at ${now.toISOString()}`);
  if (options.clusterId !== undefined && clusterId !== options.clusterId) {
    throw new CaError('certificate-invalid', `verifying the certificate of service instance ${instanceId}: it belongs to cluster ${clusterId}, not ${options.clusterId}`);
  }
  return identity;
}

/**
 * The nats-server users of the service identities: one per manager service, named by the SAN its
 * certificates carry first, with that service's subject rules (@flotilla/bus servicePermissions).
 * Listed always: only the CA issues a certificate that maps to them, and only for the service token.
 */
export function serviceNatsUsers(subjects: ClusterSubjects): NatsUser[] {
  return MANAGER_SERVICES.map((service) => ({ user: serviceNatsUser(service), permissions: servicePermissions(subjects, service) }));
}
