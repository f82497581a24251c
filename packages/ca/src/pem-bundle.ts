import { X509Certificate } from 'node:crypto';
import { certificateDigest } from './digest.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The certificates in a PEM text, in order. A trust bundle (both roots during a root CA rotation)
 * and a presented chain (leaf + cross-signed root) are such texts; Node's X509Certificate reads
 * only the first one.
 */
export function splitPemCertificates(pem: string): string[] {
  return (pem.match(PEM_CERTIFICATE) ?? []).map((block) => `${block}\n`);
}

/** The digest of the root in `bundlePem` that signed `certPem`'s first certificate, or undefined. */
export function issuerDigestIn(certPem: string, bundlePem: string): string | undefined {
  const cert = new X509Certificate(certPem);
  for (const rootPem of splitPemCertificates(bundlePem)) {
    const root = new X509Certificate(rootPem);
    if (cert.checkIssued(root) && cert.verify(root.publicKey)) return certificateDigest(rootPem);
  }
  return undefined;
}
