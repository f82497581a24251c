import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The gossip keyring: a primary key that seals every outgoing packet and older keys that
 * are still accepted while a rotation spreads through the cluster. Keys come from the
 * cluster object in the store (rotated by the managers through Raft); nodes learn them
 * from their dispatcher session.
 *
 * Packet layout: [version=1][12-byte nonce][ciphertext][16-byte GCM tag]. The key that
 * sealed a packet is not named in it, so a receiver tries each key it holds (there are at
 * most a few), and a packet that no key opens is dropped and counted.
 */
export const KEY_BYTES = 32;
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const PACKET_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;

export class Keyring {
  private keys: Buffer[];
  /** Packets that no key in the ring could open (stale key, tampering, noise). */
  dropped = 0;

  constructor(primary: Uint8Array, previous: Uint8Array[] = [], private readonly aad: Buffer = Buffer.alloc(0)) {
    this.keys = [];
    this.install(primary, previous);
  }

  /** Replaces the ring, e.g. after a rotation arrives from the managers. */
  install(primary: Uint8Array, previous: Uint8Array[] = []): void {
    const keys = [primary, ...previous].map((k) => Buffer.from(k));
    for (const k of keys) {
      if (k.length !== KEY_BYTES) throw new Error(`gossip key must be ${KEY_BYTES} bytes (AES-256-GCM), got ${k.length}`);
    }
    this.keys = keys;
  }

  seal(plaintext: Uint8Array): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, nonce);
    cipher.setAAD(this.aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]);
  }

  /** Returns the plaintext, or undefined (and counts a drop) when no key opens the packet. */
  open(packet: Uint8Array): Buffer | undefined {
    const buf = Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    if (buf.length < PACKET_OVERHEAD || buf[0] !== VERSION) {
      this.dropped++;
      return undefined;
    }
    const nonce = buf.subarray(1, 1 + NONCE_BYTES);
    const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
    const tag = buf.subarray(buf.length - TAG_BYTES);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        decipher.setAAD(this.aad);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        // wrong key: try the next one
      }
    }
    this.dropped++;
    return undefined;
  }
}

export function newGossipKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
