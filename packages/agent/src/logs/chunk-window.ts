/**
 * Sender side of a log stream's flow control: chunks are numbered from 1 and at most
 * `size` may be unacknowledged. An acknowledgement is cumulative; one for a chunk never
 * sent is refused (it would open the window for chunks nobody has seen).
 */
export class ChunkWindow {
  private lastSent = 0;
  private lastAcked = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`log window must be a positive whole number of chunks, got ${size}`);
  }

  get inFlight(): number {
    return this.lastSent - this.lastAcked;
  }

  get full(): boolean {
    return this.inFlight >= this.size;
  }

  /** Takes the next sequence number; call only when not full. */
  next(): number {
    if (this.full) throw new Error(`log window of ${this.size} chunks is full`);
    return ++this.lastSent;
  }

  /** Cumulative ack up to `seq`; false (changing nothing) for a chunk not sent yet. */
  ack(seq: number): boolean {
    if (!Number.isInteger(seq) || seq > this.lastSent) return false;
    if (seq > this.lastAcked) this.lastAcked = seq;
    return true;
  }
}
