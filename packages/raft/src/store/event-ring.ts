// The most recent store events, so a follower that missed a few can catch up with
// "events since index i" instead of re-listing every table.
import type { StoreEvent } from '@flotilla/api';

export type EventsSinceResult =
  | { kind: 'events'; events: StoreEvent[]; currentIndex: number }
  | { kind: 'gap'; requestedIndex: number; oldestAvailableIndex: number; currentIndex: number };

export class EventRing {
  private readonly buf: Array<StoreEvent | undefined>;
  private start = 0;
  private count = 0;
  /** Events at or before this index may have been dropped; "since i" is answerable only for i >= floor. */
  private floor: number;

  constructor(
    readonly capacity: number,
    floorIndex: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event ring capacity must be a positive integer, got ${capacity}`);
    this.buf = new Array<StoreEvent | undefined>(capacity);
    this.floor = floorIndex;
  }

  get oldestAvailableIndex(): number {
    return this.floor;
  }

  push(ev: StoreEvent): void {
    if (this.count === this.capacity) {
      const evicted = this.buf[this.start]!;
      this.floor = Math.max(this.floor, evicted.index);
      this.buf[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    this.buf[(this.start + this.count) % this.capacity] = ev;
    this.count++;
  }

  /** Forgets everything: the store was replaced wholesale (snapshot restore) at `index`. */
  reset(index: number): void {
    this.buf.fill(undefined);
    this.start = 0;
    this.count = 0;
    this.floor = index;
  }

  since(index: number, currentIndex: number): EventsSinceResult {
    if (index < this.floor || index > currentIndex) {
      return { kind: 'gap', requestedIndex: index, oldestAvailableIndex: this.floor, currentIndex };
    }
    // Event indexes never decrease along the ring: binary search for the first one after `index`.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).index <= index) lo = mid + 1;
      else hi = mid;
    }
    const events: StoreEvent[] = [];
    for (let i = lo; i < this.count; i++) events.push(this.at(i));
    return { kind: 'events', events, currentIndex };
  }

  private at(i: number): StoreEvent {
    return this.buf[(this.start + i) % this.capacity]!;
  }
}
