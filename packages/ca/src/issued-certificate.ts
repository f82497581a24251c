import { X509Certificate } from 'node:crypto';
import { publicKeySha256 } from './public-key.js';

/** What the CA tells its owner about a certificate it just issued, for the Node's TLS info. */
export interface IssuedCertificate {
  /** Unix milliseconds. */
  certNotAfterMs: number;
  /** The issuer's subject as one line, e.g. "O=<cluster id>, CN=flotilla-root-ca". */
  certIssuerSubject: string;
  /** Hex sha256 of the certificate's SubjectPublicKeyInfo: what the managers' nats-servers pin for routes. */
  publicKeySha256: string;
}

/** Reads the first certificate of `certPem` (a leaf, or a leaf followed by its chain). */
export function issuedCertificate(certPem: string): IssuedCertificate {
  const cert = new X509Certificate(certPem);
  return {
    certNotAfterMs: new Date(cert.validTo).getTime(),
    certIssuerSubject: cert.issuer.split('\n').join(', '),
    publicKeySha256: publicKeySha256(cert.publicKey),
  };
}
