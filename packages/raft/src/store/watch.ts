// Watch subscriptions. Apply pushes into each matching subscriber's bounded queue and never
// waits for it; a subscriber that falls behind by more than its queue is closed with a reason.
import type { StoreEvent, StoreOp } from '@flotilla/api';
import { WatchClosed } from './errors.js';
import type { Kind } from './kinds.js';

export interface WatchFilter {
  kinds?: readonly Kind[];
  ops?: readonly StoreOp[];
  predicate?: (event: StoreEvent) => boolean;
}

export class Subscription implements AsyncIterableIterator<StoreEvent> {
  private queue: StoreEvent[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<StoreEvent>) => void; reject: (e: Error) => void } | undefined;
  private closedWith: WatchClosed | undefined;
  private ended = false;

  constructor(
    private readonly filter: WatchFilter,
    readonly maxQueue: number,
    private readonly onClose: (sub: Subscription) => void,
  ) {}

  /** Undelivered events. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Why the subscription ended (undefined while open or after a plain close()). */
  get closeReason(): string | undefined {
    return this.closedWith?.reason;
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Called by the store for every applied event; must not throw or block. */
  offer(event: StoreEvent): void {
    if (this.ended || !this.matches(event)) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: event, done: false });
      return;
    }
    if (this.pending >= this.maxQueue) {
      this.end(new WatchClosed(`subscriber lagged: more than ${this.maxQueue} undelivered events; re-list and watch again`));
      return;
    }
    this.queue.push(event);
  }

  private matches(event: StoreEvent): boolean {
    const f = this.filter;
    if (f.ops && !f.ops.includes(event.op)) return false;
    if (f.kinds) {
      const kind = event.object?.kind?.$case;
      if (kind === undefined || !f.kinds.includes(kind)) return false;
    }
    if (f.predicate) {
      try {
        return f.predicate(event);
      } catch (err) {
        this.end(new WatchClosed(`watch predicate threw: ${(err as Error).message}`));
        return false;
      }
    }
    return true;
  }

  next(): Promise<IteratorResult<StoreEvent>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as StoreEvent;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      return this.closedWith ? Promise.reject(this.closedWith) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Ends the subscription; a pending next() resolves as done. */
  close(): void {
    this.end(undefined);
  }

  return(): Promise<IteratorResult<StoreEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StoreEvent> {
    return this;
  }

  /** Ends with an error every later next() rejects with. Queued events are dropped: the reader must re-list. */
  end(error: WatchClosed | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.closedWith = error;
    this.queue = [];
    this.head = 0;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
    this.onClose(this);
  }
}
