import { GossipRumour } from '@flotilla/api';

interface Queued {
  key: string;
  rumour: GossipRumour;
  /** Encoded size inside a packet (tag + length prefix + body). */
  bytes: number;
  transmits: number;
}

/**
 * Rumours waiting to be piggy-backed. Each is sent a limited number of times and the
 * least-sent go first, so a fresh rumour overtakes ones that have already spread. A new
 * rumour about the same subject (same key) replaces the old one: there is no point in
 * spreading "suspect x" once "alive x, incarnation 7" is known.
 */
export class BroadcastQueue {
  private readonly byKey = new Map<string, Queued>();
  /** buckets[t] holds the rumours sent t times, in insertion order. */
  private readonly buckets: Set<Queued>[] = [];

  get size(): number {
    return this.byKey.size;
  }

  enqueue(key: string, rumour: GossipRumour): void {
    this.remove(key);
    const body = GossipRumour.encode(rumour).finish().length;
    const item: Queued = { key, rumour, bytes: body + 1 + varintLength(body), transmits: 0 };
    this.byKey.set(key, item);
    this.bucket(0).add(item);
  }

  /** Drops every queued rumour whose key starts with `prefix` (e.g. all suspicions of one member). */
  removePrefix(prefix: string): void {
    for (const key of [...this.byKey.keys()]) if (key.startsWith(prefix)) this.remove(key);
  }

  remove(key: string): void {
    const old = this.byKey.get(key);
    if (!old) return;
    this.byKey.delete(key);
    this.buckets[old.transmits]?.delete(old);
  }

  /**
   * Picks rumours that fit in `budgetBytes`, least-transmitted first, counts one transmit
   * for each, and forgets those that reached `limit`. `skipKeys`: already in this packet.
   */
  take(budgetBytes: number, limit: number, skipKeys: ReadonlySet<string> = NO_KEYS): GossipRumour[] {
    const picked: Queued[] = [];
    let left = budgetBytes;
    for (let t = 0; t < this.buckets.length && left > 8; t++) {
      const bucket = this.buckets[t];
      if (!bucket) continue;
      for (const item of bucket) {
        if (item.bytes > left || skipKeys.has(item.key)) continue;
        picked.push(item);
        left -= item.bytes;
        if (left <= 8) break;
      }
    }
    for (const item of picked) {
      this.buckets[item.transmits]!.delete(item);
      item.transmits++;
      if (item.transmits >= limit) this.byKey.delete(item.key);
      else this.bucket(item.transmits).add(item);
    }
    return picked.map((item) => item.rumour);
  }

  private bucket(transmits: number): Set<Queued> {
    let bucket = this.buckets[transmits];
    if (!bucket) {
      for (let i = this.buckets.length; i <= transmits; i++) this.buckets.push(new Set());
      bucket = this.buckets[transmits]!;
    }
    return bucket;
  }
}

const NO_KEYS: ReadonlySet<string> = new Set();

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}
