// The replicated store: in-memory tables fed by committed Raft entries. Reads never touch disk
// or network; writes arrive only through apply(), in log order, on every manager alike.
import { StoreEventsSince, StoreTransaction, type StoreEvent } from '@flotilla/api';
import { pino, type Logger } from 'pino';
import { applyTransaction } from './apply.js';
import { EventGap, InvalidTransaction, WatchClosed, storeErrorFrom, type StoreError } from './errors.js';
import { EventRing } from './event-ring.js';
import { deepFreeze } from './freeze.js';
import { ReadTx } from './read-tx.js';
import { replayEvents } from './replay.js';
import { lookupRequest, recordRequest, requestDigest, type RequestRecord } from './requests.js';
import { concatSliced, decodeStoreSnapshot, encodeStoreSnapshot, encodeStoreSnapshotPieces, type SnapshotContent } from './snapshot.js';
import { emptyState, type StoreState } from './state.js';
import { Subscription, type WatchFilter } from './watch.js';
import type { Kind } from './kinds.js';

export interface StoreOptions {
  logger?: Logger;
  nodeId?: string;
  /** Recent events kept for "events since index i". Default 10 000. */
  eventRingSize?: number;
  /** Undelivered events a watcher may accumulate before it is closed. Default 10 000. */
  watchQueue?: number;
}

/**
 * The store's verdict on a transaction. `index` is where it took effect; for a `duplicate` (its id
 * was applied before) that is the first application's index, and the verdict is the first one.
 */
export type ApplyResult =
  | { ok: true; index: number; txId: string; events: readonly StoreEvent[]; duplicate?: boolean }
  | { ok: false; index: number; txId: string; error: StoreError; duplicate?: boolean };

/** A version of the store captured for encoding later (the state it holds never changes). */
export interface CapturedSnapshot {
  readonly index: number;
  /** StoreSnapshot bytes, encoded in slices that leave the event loop free in between. */
  encode(content?: SnapshotContent & { sliceMs?: number }): Promise<Buffer>;
  /** The same bytes as pieces (joined, they are encode()'s), for a writer that need not join them. */
  encodePieces(content?: SnapshotContent & { sliceMs?: number }): Promise<Uint8Array[]>;
}

/** The verdict recorded for a transaction id, as a duplicate's result. */
export function recordedResult(rec: RequestRecord): ApplyResult {
  return rec.error === undefined
    ? { ok: true, index: rec.index, txId: rec.id, events: [], duplicate: true }
    : { ok: false, index: rec.index, txId: rec.id, error: storeErrorFrom(rec.error.code, rec.error.message), duplicate: true };
}

export interface WatchOptions {
  maxQueue?: number;
  /** Start with the kept events after this index (EventGap if they are gone), then live ones. */
  sinceIndex?: number;
}

export class Store {
  private state: StoreState;
  private readonly ring: EventRing;
  private readonly subscribers = new Set<Subscription>();
  private readonly logger: Logger;
  private readonly watchQueue: number;

  constructor(options: StoreOptions = {}) {
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'store', nodeId: options.nodeId ?? '' });
    this.state = emptyState();
    this.ring = new EventRing(options.eventRingSize ?? 10_000, 0);
    this.watchQueue = options.watchQueue ?? 10_000;
  }

  static fromSnapshot(bytes: Uint8Array, options: StoreOptions = {}): Store {
    const store = new Store(options);
    store.restore(bytes);
    return store;
  }

  /** Raft index of the last applied entry. */
  get index(): number {
    return this.state.index;
  }

  /** A consistent read view of the current version; cheap, and unaffected by later applies. */
  view(): ReadTx {
    return new ReadTx(this.state);
  }

  /**
   * Applies the committed entry at `index`. Empty bytes are an empty transaction (for entries that
   * carry no store change). A refused transaction changes nothing but the index, identically on
   * every member; the result tells the proposer why. A transaction whose id is in the recent
   * request table applies nothing and returns the recorded verdict (exactly once); the same id
   * with different bytes is refused.
   */
  apply(index: number, txBytes: Uint8Array): ApplyResult {
    if (!Number.isSafeInteger(index) || index <= this.state.index) {
      throw new Error(`store apply out of order: index ${index} after ${this.state.index}`);
    }
    let tx: StoreTransaction;
    try {
      tx = StoreTransaction.decode(txBytes);
    } catch (err) {
      this.state = { ...this.state, index };
      const error = new InvalidTransaction(`entry ${index}: transaction does not decode: ${(err as Error).message}`);
      this.logger.warn({ index, err: error.message }, 'refused undecodable store transaction');
      return { ok: false, index, txId: '', error };
    }
    const digest = tx.id === '' ? '' : requestDigest(txBytes);
    const prior = lookupRequest(this.state.requests, tx.id);
    if (prior !== undefined) {
      this.state = { ...this.state, index };
      if (prior.digest === digest) {
        this.logger.debug({ index, txId: tx.id, firstIndex: prior.index }, 'store transaction is a retry of one already applied; applying nothing');
        return recordedResult(prior);
      }
      const error = new InvalidTransaction(`transaction id ${tx.id} was already used at index ${prior.index} by a different transaction`);
      this.logger.warn({ index, txId: tx.id, firstIndex: prior.index }, 'refused a transaction reusing another one\'s id');
      return { ok: false, index, txId: tx.id, error };
    }
    const record = (state: typeof this.state, error?: StoreError): typeof this.state =>
      tx.id === ''
        ? state
        : {
            ...state,
            requests: recordRequest(state.requests, {
              id: tx.id,
              digest,
              index,
              timestampMs: tx.timestampMs,
              ...(error ? { error: { code: error.code, message: error.message } } : {}),
            }),
          };
    const outcome = applyTransaction(this.state, index, tx);
    if (!outcome.ok) {
      this.state = record({ ...this.state, index }, outcome.error);
      this.logger.debug({ index, txId: tx.id, code: outcome.error.code, err: outcome.error.message }, 'store transaction refused');
      return { ok: false, index, txId: tx.id, error: outcome.error };
    }
    this.state = record(outcome.state);
    for (const ev of outcome.events) {
      deepFreeze(ev);
      this.ring.push(ev);
      for (const sub of this.subscribers) sub.offer(ev);
    }
    return { ok: true, index, txId: tx.id, events: outcome.events };
  }

  /**
   * Replica side: applies events received from the store that owns the log (a list, then
   * "events since"), so this store answers the same queries at the same index. Events must come
   * in index order, all events of an index together. Throws ReplicaDiverged (changing nothing)
   * when they do not fit; the caller then re-lists with restore().
   */
  applyEvents(events: readonly StoreEvent[], currentIndex?: number): void {
    const next = replayEvents(this.state, events);
    const index = Math.max(next.index, currentIndex ?? 0);
    this.state = index === next.index ? next : { ...next, index };
    for (const ev of events) {
      deepFreeze(ev);
      this.ring.push(ev);
      for (const sub of this.subscribers) sub.offer(ev);
    }
  }

  /**
   * Subscribes to applied events. Listing with view() and calling watch() in the same synchronous
   * step gives a gap-free list-then-watch; `sinceIndex` replays kept events first.
   */
  watch(filter: WatchFilter = {}, options: WatchOptions = {}): Subscription {
    const sub = new Subscription(filter, options.maxQueue ?? this.watchQueue, (s) => this.subscribers.delete(s));
    if (options.sinceIndex !== undefined) {
      const r = this.ring.since(options.sinceIndex, this.state.index);
      if (r.kind === 'gap') throw new EventGap(r.requestedIndex, r.oldestAvailableIndex, r.currentIndex);
      for (const ev of r.events) sub.offer(ev);
      if (sub.closed) return sub;
    }
    this.subscribers.add(sub);
    return sub;
  }

  /** "Events since index i" for a follower process: the kept events after i, or a gap forcing a re-list. */
  eventsSince(index: number): StoreEventsSince {
    const r = this.ring.since(index, this.state.index);
    if (r.kind === 'gap') {
      return {
        result: {
          $case: 'gap',
          value: { requestedIndex: r.requestedIndex, oldestAvailableIndex: r.oldestAvailableIndex, currentIndex: r.currentIndex },
        },
      };
    }
    return { result: { $case: 'events', value: { events: r.events, currentIndex: r.currentIndex } } };
  }

  /**
   * The whole store at its current index, as StoreSnapshot bytes, with the recent request table
   * (what a Raft snapshot needs). With `kinds`, only those tables and no request table: the "list
   * at an index" a follower interested in some kinds starts from.
   */
  snapshot(kinds?: readonly Kind[]): Uint8Array {
    return encodeStoreSnapshot(this.state, kinds === undefined ? {} : { kinds, requests: false });
  }

  /** Captures the current version in O(1), to encode later without holding the event loop. */
  captureSnapshot(): CapturedSnapshot {
    const state = this.state;
    return {
      index: state.index,
      encode: async (content = {}) => concatSliced(await encodeStoreSnapshotPieces(state, content)),
      encodePieces: (content = {}) => encodeStoreSnapshotPieces(state, content),
    };
  }

  /** The recorded outcome of the transaction with this id, if it was applied recently. */
  recentRequest(id: string): RequestRecord | undefined {
    return lookupRequest(this.state.requests, id);
  }

  /** Number of transaction ids the store remembers now. */
  get recentRequestCount(): number {
    return this.state.requests.byId.size;
  }

  /**
   * Replaces the whole store with a snapshot (Raft installed one). Watchers are closed: they
   * cannot be given a delta and must re-list. Bad bytes throw and change nothing.
   */
  restore(bytes: Uint8Array): void {
    const next = decodeStoreSnapshot(bytes);
    this.state = next;
    this.ring.reset(next.index);
    for (const sub of [...this.subscribers]) sub.end(new WatchClosed(`store restored from a snapshot at index ${next.index}; re-list`));
    this.logger.info({ index: next.index }, 'store restored from snapshot');
  }

  /** Number of open watch subscriptions. */
  get watcherCount(): number {
    return this.subscribers.size;
  }
}
