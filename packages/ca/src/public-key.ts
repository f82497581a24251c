import { createHash, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * The hex sha256 of a key's DER SubjectPublicKeyInfo: what nats-server's `pinned_certs` compares
 * (the same as `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum`). Keys, not
 * certificates, are pinned, so a root CA rotation (same key, new certificate) changes nothing.
 */
export function publicKeySha256(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** publicKeySha256 of the first certificate of `cert` (a PEM leaf, a PEM chain, DER bytes or a parsed certificate). */
export function certificateKeySha256(cert: string | Buffer | X509Certificate): string {
  const parsed = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return publicKeySha256(parsed.publicKey);
}

const KEY_SHA256 = /^[0-9a-f]{64}$/;

/** A public key digest as publicKeySha256 writes it: 64 lowercase hex characters. */
export function isPublicKeySha256(value: unknown): boolean {
  return typeof value === 'string' && KEY_SHA256.test(value);
}
