import type { GossipKey } from '@flotilla/api';

/** Docker's default: the gossip key changes every 12 hours. */
export const DEFAULT_KEY_ROTATION_INTERVAL_MS = 12 * 60 * 60 * 1000;

export interface RotationInput {
  readonly keys: readonly GossipKey[];
  readonly nowMs: number;
  /** ClusterSpec.gossip.key_rotation_interval_ms; 0 or less = the default. */
  readonly intervalMs: number;
  /** True once every node that matters uses the keyring `keys` as it is now. */
  readonly everyNodeHasCurrentRing: boolean;
  readonly newKey: () => Uint8Array;
}

export type RotationStep =
  | { readonly kind: 'wait'; /** when to look again without news; undefined = on the next node sync */ readonly atMs: number | undefined }
  | { readonly kind: 'write'; readonly keys: GossipKey[]; readonly why: string };

/**
 * The next step of the gossip keyring, in three steps so no packet is ever sealed with a key
 * a receiver lacks: (1) a new key is added as secondary (everyone opens with it), (2) once
 * every node has that ring, the new key becomes primary (everyone seals with it), (3) once
 * every node has that ring, the old key is dropped. Pure: the caller writes the keys through Raft.
 */
export function planKeyRotation(input: RotationInput): RotationStep {
  const { keys, nowMs } = input;
  const intervalMs = input.intervalMs > 0 ? input.intervalMs : DEFAULT_KEY_ROTATION_INTERVAL_MS;
  if (keys.length === 0) return { kind: 'write', keys: [makeKey(input, 1)], why: 'first gossip key' };
  const newest = keys.reduce((a, b) => (b.lamportTime > a.lamportTime ? b : a));
  if (keys.length === 1) {
    const due = keys[0]!.createdAtMs + intervalMs;
    if (nowMs < due) return { kind: 'wait', atMs: due };
    return { kind: 'write', keys: [keys[0]!, makeKey(input, newest.lamportTime + 1)], why: 'rotation step 1: new key added as secondary' };
  }
  if (!input.everyNodeHasCurrentRing) return { kind: 'wait', atMs: undefined };
  if (keys[0] !== newest) {
    return { kind: 'write', keys: [newest, ...keys.filter((k) => k !== newest)], why: 'rotation step 2: new key made primary' };
  }
  return { kind: 'write', keys: [newest], why: 'rotation step 3: old keys dropped' };
}

function makeKey(input: RotationInput, lamportTime: number): GossipKey {
  return { key: Buffer.from(input.newKey()), lamportTime, createdAtMs: input.nowMs };
}
