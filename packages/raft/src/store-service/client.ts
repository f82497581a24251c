// The remote side of the store service: list, events after an index, propose (with retries
// through elections), and a follower loop that keeps a caller up to date: list, then events
// from that index, and a fresh list whenever the events it needs are gone.
import {
  StoreEventsRequest,
  StoreEventsSince,
  StoreProposeRequest,
  StoreProposeResponse,
  StoreSnapshot,
  type StoreEvent,
} from '@flotilla/api';
import { BusErrorCode, clusterSubjects, isBusRequestError, request, type BusConnection } from '@flotilla/bus';
import { pino, type Logger } from 'pino';
import { Store } from '../store/store.js';
import { requestList } from './list-stream.js';

export interface StoreClientOptions {
  nc: BusConnection['nc'];
  clusterId: string;
  /** Deadline of each request. Default 10 s. */
  timeoutMs?: number;
}

export class StoreClient {
  private readonly subjects;
  private readonly timeoutMs: number;

  constructor(private readonly o: StoreClientOptions) {
    this.subjects = clusterSubjects(o.clusterId).store;
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  /** The whole store at its index, as of a linearizable read on the answering member. */
  list(): Promise<StoreSnapshot> {
    return requestList(this.o.nc, this.subjects.list, this.timeoutMs);
  }

  /** Events after `sinceIndex`, waiting up to `waitMs` for some when there are none yet; or a gap. */
  eventsSince(sinceIndex: number, waitMs = 0): Promise<StoreEventsSince> {
    return request(this.o.nc, this.subjects.eventsSince, StoreEventsRequest, { sinceIndex, waitMs }, StoreEventsSince, {
      timeoutMs: this.timeoutMs + waitMs,
    });
  }

  /** Proposes to one member; a follower answers NOT_LEADER with the leader in `leaderHint`. */
  async proposeTo(memberId: number, transaction: Uint8Array): Promise<number> {
    const r = await request(this.o.nc, this.subjects.proposeTo(String(memberId)), StoreProposeRequest, { transaction }, StoreProposeResponse, {
      timeoutMs: this.timeoutMs,
    });
    return r.index;
  }

  /**
   * Proposes to whoever leads, retrying while there is none (no responders) until the deadline.
   * Resolves with the index the transaction was applied at; store refusals reject with their code.
   */
  async propose(transaction: Uint8Array, deadlineMs = this.timeoutMs): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const left = Math.max(1, deadline - Date.now());
        const r = await request(this.o.nc, this.subjects.propose, StoreProposeRequest, { transaction }, StoreProposeResponse, {
          timeoutMs: Math.min(left, this.timeoutMs),
        });
        return r.index;
      } catch (err) {
        const retry = isBusRequestError(err, BusErrorCode.UNAVAILABLE) || isBusRequestError(err, BusErrorCode.NOT_LEADER);
        if (!retry || Date.now() >= deadline) throw err;
        // No leader right now (election): back off a little and ask again.
        await new Promise((r) => setTimeout(r, Math.min(500, 25 * 2 ** Math.min(attempt, 4))));
      }
    }
  }
}

export interface StoreFollowerHandlers {
  /** A full state at `snapshot.index`: replace whatever was known. */
  onList(snapshot: StoreSnapshot): void;
  /** Events applied after the last list or batch, in order. */
  onEvents(events: StoreEvent[], currentIndex: number): void;
}

/** Follows the store from another process: list, then long-poll events; a gap re-lists. */
export class StoreFollower {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly logger: Logger;
  index = 0;
  relists = 0;

  constructor(
    private readonly client: StoreClient,
    private readonly handlers: StoreFollowerHandlers,
    private readonly opts: { waitMs?: number; logger?: Logger } = {},
  ) {
    this.logger = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'store-follower' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let needList = true;
    while (this.running) {
      try {
        if (needList) {
          const snap = await this.client.list();
          if (!this.running) return;
          this.index = snap.index;
          this.handlers.onList(snap);
          this.relists++;
          needList = false;
        }
        const r = await this.client.eventsSince(this.index, this.opts.waitMs ?? 1_000);
        if (!this.running) return;
        const res = r.result;
        if (res?.$case === 'gap') {
          this.logger.info({ requestedIndex: res.value.requestedIndex, oldestAvailableIndex: res.value.oldestAvailableIndex }, 'events gone; re-listing');
          needList = true;
        } else if (res?.$case === 'events') {
          if (res.value.events.length > 0) this.handlers.onEvents(res.value.events, res.value.currentIndex);
          this.index = Math.max(this.index, res.value.currentIndex);
        }
      } catch (err) {
        // Whatever failed (the bus, or a handler that could not take the events), start over from a list.
        needList = true;
        this.logger.warn({ err }, 'following the store failed; re-listing');
        if (this.running) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

/**
 * A local Store kept equal to the cluster's: each list restores it, each batch of events is
 * applied with Store.applyEvents; events that do not fit (ReplicaDiverged) cause a re-list.
 * Its view() answers the same indexed queries as a member's, at `store.index`.
 */
export class StoreReplica {
  readonly follower: StoreFollower;

  constructor(
    client: StoreClient,
    readonly store: Store = new Store(),
    opts: { waitMs?: number; logger?: Logger } = {},
  ) {
    this.follower = new StoreFollower(
      client,
      {
        onList: (snap) => store.restore(StoreSnapshot.encode(snap).finish()),
        onEvents: (events, currentIndex) => store.applyEvents(events, currentIndex),
      },
      opts,
    );
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }
}
