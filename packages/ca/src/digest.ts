import { createHash, X509Certificate } from 'node:crypto';

/**
 * The root CA digest used in join tokens: sha256 over the certificate's DER
 * bytes, hex. DER rather than PEM so line endings or trailing whitespace in a
 * copied PEM cannot change the pin.
 */
export function certificateDigest(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  return createHash('sha256').update(der).digest('hex');
}
