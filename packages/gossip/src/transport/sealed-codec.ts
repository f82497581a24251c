import { GossipPacket } from '@flotilla/api';
import type { Keyring } from '../crypto/keyring.js';

/** Every gossip packet on the wire is a GossipPacket, encoded, then sealed with the keyring. */
export function sealPacket(keyring: Keyring, packet: GossipPacket): Buffer {
  return keyring.seal(GossipPacket.encode(packet).finish());
}

export type OpenResult = { ok: true; packet: GossipPacket } | { ok: false; reason: 'no-key' | 'malformed' };

/** Opens and decodes; a packet no key opens is counted by the keyring itself. */
export function openPacket(keyring: Keyring, bytes: Uint8Array): OpenResult {
  const plain = keyring.open(bytes);
  if (!plain) return { ok: false, reason: 'no-key' };
  try {
    return { ok: true, packet: GossipPacket.decode(plain) };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
