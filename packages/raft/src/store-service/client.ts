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
import { BusErrorCode, BusRequestError, clusterSubjects, isBusRequestError, request, type BusConnection } from '@flotilla/bus';
import { pino, type Logger } from 'pino';
import { Store } from '../store/store.js';
import { transactionIdOf } from '../store/transaction.js';
import { requestList } from './list-stream.js';

export interface StoreClientOptions {
  nc: BusConnection['nc'];
  clusterId: string;
  /** Deadline of each list/events request, and the default overall deadline of propose. Default 10 s. */
  timeoutMs?: number;
  /**
   * How long one propose attempt waits for an answer before it sends the same bytes again. Short:
   * members answer at once unless they are gone or paused, and a repeat cannot apply twice (the
   * transaction id), while on a live leader it joins the first try. Default 500 ms.
   */
  attemptTimeoutMs?: number;
  /** After an attempt at a member timed out, its name as leader is not followed for this long. Default 1 000 ms. */
  suspectMs?: number;
  /**
   * A service identity's client (issue 16): the store subjects of this manager service, answered
   * with what that service may see; its proposals must say the same scope (StoreTransaction.scope).
   */
  scope?: string;
}

/** Codes with which a proposal can be sent again (the same bytes): nothing was decided against it. */
const RESENDABLE = new Set<BusErrorCode>([BusErrorCode.NOT_LEADER, BusErrorCode.UNAVAILABLE, BusErrorCode.DEADLINE_EXCEEDED]);

export class StoreClient {
  private readonly subjects: Pick<ReturnType<typeof clusterSubjects>['store'], 'list' | 'eventsSince' | 'propose' | 'proposeTo'>;
  private readonly timeoutMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly suspectMs: number;
  /** The member that last answered as leader: the next proposal goes straight to it. */
  private knownLeader: number | undefined;

  get scope(): string | undefined {
    return this.o.scope;
  }

  constructor(private readonly o: StoreClientOptions) {
    const all = clusterSubjects(o.clusterId).store;
    this.subjects = o.scope === undefined ? all : all.scoped(o.scope);
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.attemptTimeoutMs = o.attemptTimeoutMs ?? 500;
    this.suspectMs = o.suspectMs ?? 1_000;
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
  async proposeTo(memberId: number, transaction: Uint8Array, timeoutMs = this.timeoutMs): Promise<number> {
    const r = await request(this.o.nc, this.subjects.proposeTo(String(memberId)), StoreProposeRequest, { transaction }, StoreProposeResponse, { timeoutMs });
    return r.index;
  }

  /**
   * Proposes until the transaction is applied or `deadlineMs` passes, and resolves with the index
   * it was applied at; store refusals (CONFLICT, ALREADY_EXISTS, NOT_FOUND, INVALID_ARGUMENT)
   * reject with their code at once.
   *
   * Every attempt sends the same bytes, so with a transaction id (TransactionBuilder always sets
   * one) a retry after a timeout, a lost reply, NOT_LEADER, a leader change or UNAVAILABLE cannot
   * apply twice: the store answers a repeat with the first outcome. Attempts go to the shared
   * subject (any member; followers answer NOT_LEADER with the leader's id) or straight to the
   * leader named; each waits attemptTimeoutMs, and a member that did not answer in time is not
   * followed as leader for suspectMs (it may be paused or gone while the others still name it).
   * Without an id, only NOT_LEADER and UNAVAILABLE are retried, never a timeout.
   */
  async propose(transaction: Uint8Array, deadlineMs = this.timeoutMs): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    const idempotent = transactionIdOf(transaction) !== '';
    const suspects = new Map<number, number>();
    const suspected = (id: number): boolean => (suspects.get(id) ?? 0) > Date.now();
    let target = this.knownLeader;
    let pauses = 0;
    let attempts = 0;
    for (;;) {
      const left = deadline - Date.now();
      const subject = target === undefined ? this.subjects.propose : this.subjects.proposeTo(String(target));
      let err: unknown;
      try {
        attempts++;
        const r = await request(this.o.nc, subject, StoreProposeRequest, { transaction }, StoreProposeResponse, {
          timeoutMs: Math.max(1, Math.min(left, this.attemptTimeoutMs)),
        });
        if (target !== undefined) this.knownLeader = target;
        return r.index;
      } catch (e) {
        err = e;
      }
      const timedOut = isBusRequestError(err, BusErrorCode.DEADLINE_EXCEEDED);
      if (!isBusRequestError(err) || !RESENDABLE.has(err.code) || (timedOut && !idempotent)) throw err;
      if (Date.now() >= deadline) {
        throw new BusRequestError(err.code, `proposal not applied within ${deadlineMs} ms (${attempts} attempts): ${err.message}`, {
          subject: this.subjects.propose,
          ...(err.leaderHint ? { leaderHint: err.leaderHint } : {}),
          cause: err,
        });
      }
      if (this.knownLeader === target) this.knownLeader = undefined;
      const hint = Number(err.leaderHint ?? 0);
      if (timedOut) {
        // Nobody answered: that member may be paused or gone. Ask around again at once.
        if (target !== undefined) suspects.set(target, Date.now() + this.suspectMs);
        target = undefined;
        continue;
      }
      if (isBusRequestError(err, BusErrorCode.NOT_LEADER) && hint > 0 && hint !== target && !suspected(hint)) {
        target = hint;
        continue;
      }
      if (target !== undefined) {
        // The member named is gone or could not take it (leader change, stopping): ask around at
        // once, and do not follow the others' word for it again for a while (they name it until
        // they elect another).
        suspects.set(target, Date.now() + this.suspectMs);
        target = undefined;
        continue;
      }
      // No leader known yet (election), or only one we suspect: ask again shortly.
      target = undefined;
      await new Promise((r) => setTimeout(r, Math.min(deadline - Date.now(), pauses++ < 40 ? 50 : 200)));
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
  private readonly waiters = new Set<{ index: number; done: (reached: boolean) => void }>();
  private listed = false;
  private readonly listedWaiters = new Set<() => void>();

  constructor(
    client: StoreClient,
    readonly store: Store = new Store(),
    opts: { waitMs?: number; logger?: Logger } = {},
  ) {
    this.follower = new StoreFollower(
      client,
      {
        onList: (snap) => {
          store.restore(StoreSnapshot.encode(snap).finish());
          this.listed = true;
          for (const w of [...this.listedWaiters]) w();
          this.reached();
        },
        onEvents: (events, currentIndex) => {
          store.applyEvents(events, currentIndex);
          this.reached();
        },
      },
      opts,
    );
  }

  start(): void {
    this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    for (const w of [...this.waiters]) w.done(false);
  }

  /** Resolves true once the replica holds a whole list (its first), false after `timeoutMs`. */
  whenListed(timeoutMs: number): Promise<boolean> {
    if (this.listed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.listedWaiters.delete(onListed);
        resolve(ok);
      };
      const onListed = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.listedWaiters.add(onListed);
    });
  }

  /** Resolves true once the replica has applied `index` (a write of this process), false after `timeoutMs`. */
  waitForIndex(index: number, timeoutMs: number): Promise<boolean> {
    if (this.store.index >= index) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        index,
        done: (reached: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => w.done(false), timeoutMs);
      this.waiters.add(w);
    });
  }

  private reached(): void {
    for (const w of [...this.waiters]) if (this.store.index >= w.index) w.done(true);
  }
}
