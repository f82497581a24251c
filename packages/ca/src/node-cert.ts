import { NodeRole } from '@flotilla/api';
import forge from 'node-forge';
import { isIP } from 'node:net';
import { parseCsr } from './csr.js';
import { DAY_MS, HOUR_MS } from './duration.js';
import { CaError } from './errors.js';
import { isValidNodeId } from './ids.js';
import { CertRole, isCertRole, roleToOu } from './roles.js';
import { CLOCK_SKEW_MS, RootCaMaterial } from './root-ca.js';
import { randomSerialHex } from './serial.js';

export const DEFAULT_NODE_CERT_EXPIRY_MS = 90 * DAY_MS;
export const MIN_NODE_CERT_EXPIRY_MS = HOUR_MS;

export interface SignNodeCertificateOptions {
  rootCa: RootCaMaterial;
  csrPem: string;
  nodeId: string;
  role: CertRole;
  clusterId: string;
  /** The cluster's node certificate expiry (CaConfig.node_cert_expiry_ms); 0/undefined means the 90-day default. */
  expiryMs?: number;
  /** Manager addresses (IPs or DNS names) for the SANs; ignored for workers. */
  addresses?: readonly string[];
  now?: Date;
}

/** Resolves the cluster's configured expiry; less than an hour would renew faster than it can roll out. */
export function resolveNodeCertExpiry(expiryMs: number | undefined): number {
  if (expiryMs === undefined || expiryMs === 0) return DEFAULT_NODE_CERT_EXPIRY_MS;
  if (!Number.isFinite(expiryMs) || expiryMs < MIN_NODE_CERT_EXPIRY_MS) {
    throw new CaError(
      'invalid-argument',
      `node certificate expiry must be at least 1 hour (3600000 ms), got ${expiryMs} ms`,
    );
  }
  return expiryMs;
}

type AltName = { type: 2; value: string } | { type: 7; ip: string };

/**
 * The SAN hosts of a node certificate: its node ID (NATS maps certificates to
 * users by it), its role name (clients ask for "a manager"), and for managers
 * the addresses they are reached at.
 */
export function nodeSanHosts(nodeId: string, role: CertRole, addresses: readonly string[]): string[] {
  const hosts = [nodeId, roleToOu(role)];
  if (role !== NodeRole.NODE_ROLE_MANAGER) return hosts;
  for (const raw of addresses) {
    const addr = raw.trim();
    if (addr === '' || hosts.includes(addr)) continue;
    if (isIP(addr) === 0 && !/^[A-Za-z0-9.-]{1,253}$/.test(addr)) {
      throw new CaError('invalid-argument', `signing a certificate for node ${nodeId}: address "${addr}" is neither an IP nor a DNS name`);
    }
    hosts.push(addr);
  }
  return hosts;
}

function altNames(hosts: readonly string[]): AltName[] {
  return hosts.map((host) => (isIP(host) !== 0 ? { type: 7, ip: host } : { type: 2, value: host }));
}

/**
 * Signs a node's CSR. Identity comes from the CA, never from the CSR:
 * CN = node ID, OU = role, O = cluster ID. Both server and client auth,
 * since every node is both ends of mutual TLS.
 */
export function signNodeCertificate(options: SignNodeCertificateOptions): string {
  const { rootCa, nodeId, role, clusterId } = options;
  if (!isValidNodeId(nodeId)) {
    throw new CaError('invalid-argument', `signing a node certificate: "${nodeId}" is not a valid node ID (25 base36 characters)`);
  }
  if (!isCertRole(role)) {
    throw new CaError('invalid-argument', `signing a certificate for node ${nodeId}: unknown role ${String(role)}`);
  }
  if (clusterId.trim() === '') {
    throw new CaError('invalid-argument', `signing a certificate for node ${nodeId}: clusterId must be non-empty`);
  }
  return signLeafCertificate({
    rootCa,
    csrPem: options.csrPem,
    subject: { cn: nodeId, ou: roleToOu(role), o: clusterId },
    hosts: nodeSanHosts(nodeId, role, options.addresses ?? []),
    expiryMs: resolveNodeCertExpiry(options.expiryMs),
    what: `node ${nodeId}`,
    ...(options.now ? { now: options.now } : {}),
  });
}

/**
 * Signs a CSR for a subject and SANs the CA chose (a node's, or a service identity's). Both server
 * and client auth, since every identity is both ends of mutual TLS. Only the CSR's key is used.
 */
export function signLeafCertificate(o: {
  rootCa: RootCaMaterial;
  csrPem: string;
  subject: { cn: string; ou: string; o: string };
  hosts: readonly string[];
  expiryMs: number;
  what: string;
  now?: Date;
}): string {
  const { rootCa } = o;
  const csr = parseCsr(o.csrPem);
  const sans = altNames(o.hosts);

  const caCert = forge.pki.certificateFromPem(rootCa.certPem);
  const caKey = forge.pki.privateKeyFromPem(rootCa.keyPem);
  const now = o.now ?? new Date();
  const notAfter = new Date(now.getTime() + o.expiryMs);
  if (notAfter > caCert.validity.notAfter) {
    throw new CaError('invalid-argument', `signing a certificate for ${o.what}: it would outlive the root CA (expires ${caCert.validity.notAfter.toISOString()})`);
  }

  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = notAfter;
  cert.setSubject([
    { name: 'commonName', value: o.subject.cn },
    { name: 'organizationalUnitName', value: o.subject.ou },
    { name: 'organizationName', value: o.subject.o },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: sans },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
