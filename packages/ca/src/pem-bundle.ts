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

/** The PEM of the root in `bundlePem` that signed `cert`, or undefined when none did. */
export function issuingRootIn(cert: X509Certificate, bundlePem: string): string | undefined {
  return splitPemCertificates(bundlePem).find((rootPem) => {
    const root = new X509Certificate(rootPem);
    return cert.checkIssued(root) && cert.verify(root.publicKey);
  });
}

/** The digest of the root in `bundlePem` that signed `certPem`'s first certificate, or undefined. */
export function issuerDigestIn(certPem: string, bundlePem: string): string | undefined {
  const rootPem = issuingRootIn(new X509Certificate(certPem), bundlePem);
  return rootPem === undefined ? undefined : certificateDigest(rootPem);
}
