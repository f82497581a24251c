import { createHash } from 'node:crypto';
import type { GossipKey } from '@flotilla/api';

/**
 * Names a keyring (its keys in order: the first seals) without revealing them, so a node can
 * tell the leader which ring its gossip uses and the leader can tell when every node has moved.
 */
export function keyringId(keys: readonly GossipKey[]): string {
  if (keys.length === 0) return '';
  const hash = createHash('sha256');
  for (const k of keys) hash.update(k.key);
  return hash.digest('hex').slice(0, 16);
}
