import { X509Certificate } from 'node:crypto';
import { CaError } from './errors.js';
import { issuingRootIn } from './pem-bundle.js';
import { CertRole, ouToRole } from './roles.js';

export interface NodeIdentity {
  nodeId: string;
  role: CertRole;
  clusterId: string;
  notBefore: Date;
  notAfter: Date;
}

/** Reads one RDN value from Node's multi-line subject string ("CN=x\nOU=y\nO=z"). */
function subjectField(subject: string, key: string): string | undefined {
  for (const line of subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq) === key) return line.slice(eq + 1);
  }
  return undefined;
}

/** Identity fields of a node certificate, without checking who signed it. */
export function readNodeIdentity(cert: X509Certificate): NodeIdentity {
  const nodeId = subjectField(cert.subject, 'CN');
  const ou = subjectField(cert.subject, 'OU');
  const clusterId = subjectField(cert.subject, 'O');
  const role = ou === undefined ? undefined : ouToRole(ou);
  if (nodeId === undefined || role === undefined || clusterId === undefined) {
    throw new CaError('certificate-invalid', `reading a node certificate: subject "${cert.subject.replace(/\n/g, ', ')}" lacks CN, a flotilla OU or O`);
  }
  return { nodeId, role, clusterId, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

export interface VerifyNodeCertificateOptions {
  /** The root CA, or a bundle of roots (both during a root CA rotation): any of them may have signed. */
  caCertPem: string;
  /** When given, the certificate must belong to this cluster. */
  clusterId?: string;
  now?: Date;
}

/**
 * Full check of a node certificate against the root CA: signature, issuer,
 * validity window, and flotilla identity fields. Returns the identity.
 */
export function verifyNodeCertificate(certPem: string | Buffer, options: VerifyNodeCertificateOptions): NodeIdentity {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new CaError('certificate-invalid', `verifying a node certificate: not a valid certificate (${(err as Error).message})`);
  }
  if (issuingRootIn(cert, options.caCertPem) === undefined) {
    throw new CaError('certificate-invalid', `verifying node certificate ${cert.serialNumber}: not signed by the cluster's root CA`);
  }
  const identity = readNodeIdentity(cert);
  const now = options.now ?? new Date();
  if (now < identity.notBefore || now > identity.notAfter) {
    throw new CaError('certificate-invalid', `verifying the certificate of node ${identity.nodeId}: not valid at ${now.toISOString()} (valid ${identity.notBefore.toISOString()} to ${identity.notAfter.toISOString()})`);
  }
  if (options.clusterId !== undefined && identity.clusterId !== options.clusterId) {
    throw new CaError('certificate-invalid', `verifying the certificate of node ${identity.nodeId}: it belongs to cluster ${identity.clusterId}, not ${options.clusterId}`);
  }
  return identity;
}
