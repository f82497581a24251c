// Sealing secret values for the store: AES-256-GCM under a data key derived from the root
// CA key, which only managers hold. The store, its WAL and snapshots carry only sealed values.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, hkdfSync, randomBytes } from 'node:crypto';
import type { SealedValue } from '@flotilla/api';
import { CaError } from '../errors.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = 'flotilla secret values v1';

export interface SecretsKey {
  /** A digest of the key (never the key): names which key sealed a value. */
  readonly id: string;
  readonly key: Buffer;
}

/**
 * The managers' data key for secret values: HKDF-SHA256 over the root CA private key (DER),
 * salted with the cluster id. Every manager derives the same key from the CA key it already
 * holds, so no further key has to be stored or handed to a joining manager; a new root CA
 * means a new data key (values are re-sealed when the root changes).
 */
export function deriveSecretsKey(caKeyPem: string, clusterId: string): SecretsKey {
  let der: Buffer;
  try {
    der = createPrivateKey(caKeyPem).export({ type: 'pkcs8', format: 'der' });
  } catch (err) {
    throw new CaError('invalid-argument', `deriving the secrets key of cluster ${clusterId}: the CA key does not parse: ${(err as Error).message}`);
  }
  const key = Buffer.from(hkdfSync('sha256', der, Buffer.from(clusterId), HKDF_INFO, 32));
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

/** Seals `plain` for the secret `secretId` (bound as additional data: it cannot move to another secret). */
export function sealSecretValue(key: SecretsKey, secretId: string, plain: Uint8Array): SealedValue {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(secretId));
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return { keyId: key.id, nonce, ciphertext: body };
}

/** The plain value; throws (naming the secret, never the value) for another key or a tampered value. */
export function openSecretValue(key: SecretsKey, secretId: string, sealed: SealedValue | undefined): Buffer {
  if (!sealed) throw new CaError('invalid-argument', `opening secret ${secretId}: it has no sealed value`);
  if (sealed.keyId !== key.id) {
    throw new CaError('invalid-argument', `opening secret ${secretId}: it was sealed with key ${sealed.keyId}, this manager holds key ${key.id}`);
  }
  const body = Buffer.from(sealed.ciphertext);
  if (sealed.nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
    throw new CaError('invalid-argument', `opening secret ${secretId}: the sealed value is malformed`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(sealed.nonce), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(secretId));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new CaError('invalid-argument', `opening secret ${secretId}: authentication failed (tampered value or wrong key)`);
  }
}
