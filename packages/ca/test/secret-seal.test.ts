import { describe, expect, it } from 'vitest';
import { createRootCa, deriveSecretsKey, openSecretValue, sealSecretValue } from '../src/index.js';

const rootA = createRootCa({ clusterId: 'cluster-a' });
const rootB = createRootCa({ clusterId: 'cluster-a' });

describe('secret sealing', () => {
  it('every manager derives the same key from the same CA key and cluster', () => {
    const k1 = deriveSecretsKey(rootA.keyPem, 'cluster-a');
    const k2 = deriveSecretsKey(rootA.keyPem, 'cluster-a');
    expect(k1.key.equals(k2.key)).toBe(true);
    expect(k1.id).toBe(k2.id);
    expect(k1.key.length).toBe(32);
    expect(deriveSecretsKey(rootA.keyPem, 'cluster-b').id).not.toBe(k1.id);
    expect(deriveSecretsKey(rootB.keyPem, 'cluster-a').id).not.toBe(k1.id);
  });

  it('round-trips a value and the sealed bytes do not contain it', () => {
    const key = deriveSecretsKey(rootA.keyPem, 'cluster-a');
    const plain = Buffer.from('correct horse battery staple');
    const sealed = sealSecretValue(key, 'sec1', plain);
    expect(Buffer.from(sealed.ciphertext).includes(plain)).toBe(false);
    expect(sealed.keyId).toBe(key.id);
    expect(openSecretValue(key, 'sec1', sealed).toString()).toBe('correct horse battery staple');
    // A fresh nonce each time: the same value seals differently.
    expect(Buffer.from(sealSecretValue(key, 'sec1', plain).ciphertext).equals(Buffer.from(sealed.ciphertext))).toBe(false);
  });

  it('refuses another secret id, another key, and a flipped bit, without quoting the value', () => {
    const key = deriveSecretsKey(rootA.keyPem, 'cluster-a');
    const sealed = sealSecretValue(key, 'sec1', Buffer.from('hunter2'));
    expect(() => openSecretValue(key, 'sec2', sealed)).toThrow('opening secret sec2: authentication failed (tampered value or wrong key)');
    const other = deriveSecretsKey(rootB.keyPem, 'cluster-a');
    expect(() => openSecretValue(other, 'sec1', sealed)).toThrow(`it was sealed with key ${key.id}, this manager holds key ${other.id}`);
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0]! ^= 1;
    let message = '';
    try {
      openSecretValue(key, 'sec1', { ...sealed, ciphertext: flipped });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('authentication failed');
    expect(message).not.toContain('hunter2');
  });

  it('refuses a key that is not a private key', () => {
    expect(() => deriveSecretsKey('not a pem', 'c')).toThrow('deriving the secrets key of cluster c: the CA key does not parse');
  });
});
