// Splitting an encoded Raft message that is too big for one NATS payload (snapshots, large
// appends) into frames, and putting it back together on the receiving side. Pure: no I/O.
import { RaftMessage, RaftTransportFrame, type RaftMessageChunk } from '@flotilla/api';

/** Default piece size: well under nats-server's default 1 MiB max_payload. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/** Encodes `m` as one frame, or as several chunk frames when its encoding exceeds `chunkBytes`. */
export function encodeFrames(m: RaftMessage, chunkBytes: number, transferId: () => string): Uint8Array[] {
  const whole = RaftTransportFrame.encode({ body: { $case: 'message', value: m } }).finish();
  if (whole.length <= chunkBytes) return [whole];
  const bytes = RaftMessage.encode(m).finish();
  const total = Math.ceil(bytes.length / chunkBytes);
  const id = transferId();
  const frames: Uint8Array[] = [];
  for (let seq = 0; seq < total; seq++) {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset + seq * chunkBytes, Math.min(chunkBytes, bytes.length - seq * chunkBytes));
    const chunk: RaftMessageChunk = { from: m.from, to: m.to, transferId: id, seq, total, data };
    frames.push(RaftTransportFrame.encode({ body: { $case: 'chunk', value: chunk } }).finish());
  }
  return frames;
}

interface Partial {
  total: number;
  received: number;
  parts: Array<Uint8Array | undefined>;
  touchedAt: number;
}

/**
 * Collects chunks per transfer id. A transfer that stops receiving chunks (a dropped piece:
 * NATS is at-most-once) is forgotten after `staleMs`; Raft resends the snapshot.
 */
export class ChunkAssembler {
  private readonly pending = new Map<string, Partial>();

  constructor(
    private readonly staleMs: number,
    private readonly maxTransfers = 16,
  ) {}

  /** Adds one chunk; returns the whole message once its last piece arrived. Throws on inconsistent chunks. */
  add(c: RaftMessageChunk, now: number): RaftMessage | undefined {
    this.expire(now);
    if (c.total < 1 || c.seq >= c.total) throw new Error(`chunk ${c.seq}/${c.total} of transfer ${c.transferId} from ${c.from} is out of range`);
    const key = `${c.from}/${c.transferId}`;
    let p = this.pending.get(key);
    if (p === undefined) {
      if (this.pending.size >= this.maxTransfers) this.dropOldest();
      p = { total: c.total, received: 0, parts: new Array<Uint8Array | undefined>(c.total), touchedAt: now };
      this.pending.set(key, p);
    }
    if (p.total !== c.total) {
      this.pending.delete(key);
      throw new Error(`transfer ${c.transferId} from ${c.from}: chunk says ${c.total} pieces, earlier ones said ${p.total}`);
    }
    p.touchedAt = now;
    if (p.parts[c.seq] === undefined) {
      p.parts[c.seq] = c.data;
      p.received++;
    }
    if (p.received < p.total) return undefined;
    this.pending.delete(key);
    return RaftMessage.decode(Buffer.concat(p.parts as Uint8Array[]));
  }

  get transfersInProgress(): number {
    return this.pending.size;
  }

  private expire(now: number): void {
    for (const [k, p] of this.pending) if (now - p.touchedAt > this.staleMs) this.pending.delete(k);
  }

  private dropOldest(): void {
    let oldest: [string, Partial] | undefined;
    for (const e of this.pending) if (oldest === undefined || e[1].touchedAt < oldest[1].touchedAt) oldest = e;
    if (oldest) this.pending.delete(oldest[0]);
  }
}
