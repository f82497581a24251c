import { generateKeyPairSync } from 'node:crypto';

export const RSA_KEY_BITS = 2048;

export interface KeyPairPem {
  publicKeyPem: string;
  privateKeyPem: string;
}

/**
 * RSA key generation with Node's native crypto (OpenSSL). node-forge's pure-JS
 * generator takes seconds per key (see bench/keygen.ts), so it is never used.
 * PKCS#1 PEM because node-forge reads it directly.
 */
export function generateRsaKeyPair(bits: number = RSA_KEY_BITS): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}
