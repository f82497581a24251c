import { RaftMessage } from '@flotilla/api';
import type { SeededRng } from '../../src/core/rng.js';

export interface NetworkFaults {
  /** Probability each message is lost. */
  drop: number;
  /** Probability each message is delivered twice. */
  duplicate: number;
  /** Delivery delay range in sim time units; different delays reorder messages. */
  minDelay: number;
  maxDelay: number;
}

export const PERFECT: NetworkFaults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 1 };

interface InFlight {
  at: number;
  seq: number;
  bytes: Uint8Array;
  from: number;
  to: number;
  isSnapshot: boolean;
}

/**
 * A deterministic lossy network. Messages go through the real protobuf codec, so what
 * arrives is exactly what a wire would carry. Links can be cut one way or both ways.
 */
export class SimNetwork {
  faults: NetworkFaults = { ...PERFECT };
  private queue: InFlight[] = [];
  private seq = 0;
  private readonly cut = new Set<string>();
  sent = 0;
  dropped = 0;
  /** Tests steer a scenario by losing exactly the messages this picks. */
  dropIf: ((m: RaftMessage) => boolean) | undefined;

  constructor(private readonly rng: SeededRng) {}

  isCut(from: number, to: number): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLink(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Splits members into groups that cannot reach each other (both directions). */
  partition(groups: number[][]): void {
    this.cut.clear();
    for (const a of groups) for (const b of groups) if (a !== b) for (const x of a) for (const y of b) this.cutLink(x, y);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Returns false if the message was lost on the way in. */
  send(m: RaftMessage, now: number, onLost: (m: RaftMessage) => void): void {
    this.sent++;
    const copies = this.rng.chance(this.faults.duplicate) ? 2 : 1;
    const bytes = RaftMessage.encode(m).finish();
    const isSnapshot = m.snapshot !== undefined;
    for (let i = 0; i < copies; i++) {
      if (this.isCut(m.from, m.to) || this.dropIf?.(m) === true || this.rng.chance(this.faults.drop)) {
        this.dropped++;
        if (i === 0) onLost(m);
        continue;
      }
      const span = this.faults.maxDelay - this.faults.minDelay + 1;
      const at = now + this.faults.minDelay + this.rng.intn(span);
      this.queue.push({ at, seq: this.seq++, bytes, from: m.from, to: m.to, isSnapshot });
    }
  }

  /** Removes and returns every message due by `now`, in delivery order; cut links eat theirs. */
  due(now: number, onLost: (m: RaftMessage) => void): RaftMessage[] {
    const ready: InFlight[] = [];
    const later: InFlight[] = [];
    for (const f of this.queue) (f.at <= now ? ready : later).push(f);
    this.queue = later;
    ready.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const out: RaftMessage[] = [];
    for (const f of ready) {
      const m = RaftMessage.decode(f.bytes);
      if (this.isCut(f.from, f.to)) {
        this.dropped++;
        onLost(m);
        continue;
      }
      out.push(m);
    }
    return out;
  }

  pending(): number {
    return this.queue.length;
  }

  clear(): void {
    this.queue = [];
  }
}
