import forge from 'node-forge';
import { X509Certificate } from 'node:crypto';
import { certificateDigest } from './digest.js';
import { DAY_MS, HOUR_MS } from './duration.js';
import { CaError } from './errors.js';
import { generateRsaKeyPair } from './keys.js';
import { randomSerialHex } from './serial.js';

export const ROOT_CA_COMMON_NAME = 'flotilla-root-ca';
/** Like swarm's root CA: long-lived; node certificates are what rotate. */
export const DEFAULT_ROOT_CA_EXPIRY_MS = 20 * 365 * DAY_MS;
/** Backdating absorbs clock skew between managers and joining nodes. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface RootCaMaterial {
  certPem: string;
  keyPem: string;
  /** sha256 hex of the certificate's DER: what join tokens pin. */
  digest: string;
}

export interface CreateRootCaOptions {
  clusterId: string;
  /** Validity in milliseconds; default 20 years. */
  expiry?: number;
  now?: Date;
}

export function createRootCa(options: CreateRootCaOptions): RootCaMaterial {
  const { clusterId } = options;
  const expiry = options.expiry ?? DEFAULT_ROOT_CA_EXPIRY_MS;
  if (typeof clusterId !== 'string' || clusterId.trim() === '') {
    throw new CaError('invalid-argument', 'creating the root CA: clusterId must be a non-empty string');
  }
  if (!Number.isFinite(expiry) || expiry < HOUR_MS) {
    throw new CaError('invalid-argument', `creating the root CA for cluster ${clusterId}: expiry must be at least 1 hour, got ${expiry} ms`);
  }
  const now = options.now ?? new Date();
  const keys = generateRsaKeyPair();
  const publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  const privateKey = forge.pki.privateKeyFromPem(keys.privateKeyPem);

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(now.getTime() + expiry);
  const subject = [
    { name: 'commonName', value: ROOT_CA_COMMON_NAME },
    { name: 'organizationName', value: clusterId },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, keyPem: keys.privateKeyPem, digest: certificateDigest(certPem) };
}

/** Checks that a stored key and certificate belong together and form a CA; returns the material with its digest. */
export function loadRootCa(certPem: string, keyPem: string): RootCaMaterial {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    throw new CaError('invalid-argument', `loading the root CA: certificate is not valid PEM (${(err as Error).message})`);
  }
  if (!x509.ca) {
    throw new CaError('invalid-argument', 'loading the root CA: certificate is not a CA certificate');
  }
  let privateKey: forge.pki.rsa.PrivateKey;
  try {
    privateKey = forge.pki.privateKeyFromPem(keyPem);
  } catch (err) {
    throw new CaError('invalid-argument', `loading the root CA: key is not a valid RSA PEM (${(err as Error).message})`);
  }
  const certKey = forge.pki.certificateFromPem(certPem).publicKey as forge.pki.rsa.PublicKey;
  if (certKey.n.compareTo(privateKey.n) !== 0 || certKey.e.compareTo(privateKey.e) !== 0) {
    throw new CaError('invalid-argument', 'loading the root CA: key does not match the certificate');
  }
  return { certPem, keyPem, digest: certificateDigest(certPem) };
}
