/**
 * Appends sent to one follower and not yet acknowledged, bounded by count and by bytes,
 * so a leader can pipeline without flooding a slow follower.
 */
export class Inflights {
  private readonly items: { index: number; bytes: number }[] = [];
  private totalBytes = 0;

  /** maxBytes 0 means no byte limit. */
  constructor(
    readonly maxCount: number,
    readonly maxBytes: number = 0,
  ) {
    if (!Number.isInteger(maxCount) || maxCount <= 0) {
      throw new RangeError(`inflights: maxCount must be a positive integer, got ${maxCount}`);
    }
  }

  /** Records an append whose last entry is `index`; indexes must increase. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new Error(`inflights: add ${index} while full`);
    const last = this.items[this.items.length - 1];
    if (last !== undefined && index <= last.index) throw new Error(`inflights: add ${index} not after ${last.index}`);
    this.items.push({ index, bytes });
    this.totalBytes += bytes;
  }

  /** Frees every append acknowledged by an ack of index `to`. */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.items.length && this.items[n]!.index <= to) {
      this.totalBytes -= this.items[n]!.bytes;
      n++;
    }
    if (n > 0) this.items.splice(0, n);
  }

  /** Forgets the oldest in-flight append (it is presumed lost). */
  freeFirst(): void {
    const first = this.items.shift();
    if (first !== undefined) this.totalBytes -= first.bytes;
  }

  full(): boolean {
    return this.items.length >= this.maxCount || (this.maxBytes > 0 && this.totalBytes >= this.maxBytes);
  }

  count(): number {
    return this.items.length;
  }

  bytes(): number {
    return this.totalBytes;
  }

  reset(): void {
    this.items.length = 0;
    this.totalBytes = 0;
  }
}
