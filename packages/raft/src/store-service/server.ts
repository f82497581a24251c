// The store, served over NATS by every Raft member so processes elsewhere can follow it:
// list at an index (linearizable, through a read barrier), events after an index (long poll,
// or a gap that forces a re-list), and proposals. Every member answers proposals all the time,
// on the shared subject (queue group) and on its own: the leader proposes, a follower answers
// NOT_LEADER with the leader's id at once, and a leader cut off from its voters refuses. No
// subscription comes and goes with leadership, so no request is left with nobody to answer it.
import { StoreEventsRequest, StoreEventsSince, StoreProposeRequest, StoreProposeResponse, StoreTransaction } from '@flotilla/api';
import { BusErrorCode, BusRequestError, clusterSubjects, serve, type BusConnection, type RequestContext, type Served } from '@flotilla/bus';
import { pino, type Logger } from 'pino';
import type { RaftMember } from '../member/member.js';
import { memberErrorToBus, storeErrorToBus } from './errors.js';
import { serveList } from './list-stream.js';
import { isServiceScope, redact, redactWrapped, scopedWriteRefusal, type ServiceScope } from '../store/scopes.js';

export interface StoreServiceOptions {
  member: RaftMember;
  nc: BusConnection['nc'];
  clusterId: string;
  logger?: Logger;
  /** Longest long poll of an events request. Default 30 s. */
  maxEventWaitMs?: number;
  /** Deadline used when the caller did not send one. Default 10 s. */
  defaultTimeoutMs?: number;
}

/** The service a scoped store subject (flt.<cid>.store.svc.<service>.…) is for; refused for a name that is none. */
export function scopeOf(subject: string): ServiceScope {
  const token = subject.split('.')[4] ?? '';
  if (!isServiceScope(token)) throw new BusRequestError(BusErrorCode.PERMISSION_DENIED, `store request on ${subject}: "${token}" is not a manager service`, { subject });
  return token;
}

export class StoreService {
  private readonly served: Served[] = [];
  private readonly listSubs: Array<ReturnType<BusConnection['nc']['subscribe']>> = [];
  private readonly logger: Logger;
  private readonly subjects;

  constructor(private readonly o: StoreServiceOptions) {
    this.logger = (o.logger ?? pino({ level: 'silent' })).child({ component: 'store-service', memberId: o.member.id });
    this.subjects = clusterSubjects(o.clusterId).store;
  }

  get memberId(): number {
    return this.o.member.id;
  }

  start(): void {
    const { nc } = this.o;
    const opts = { logger: this.logger };
    const timeout = this.o.defaultTimeoutMs ?? 10_000;
    this.listSubs.push(serveList(nc, this.subjects.list, 'store-list', (timeoutMs) => this.list(timeoutMs), this.logger, timeout));
    const propose = (req: StoreProposeRequest, ctx: RequestContext) => this.propose(req, ctx);
    this.served.push(
      serve(nc, this.subjects.eventsSince, StoreEventsRequest, StoreEventsSince, (req, ctx) => this.events(req, ctx), { ...opts, queue: 'store-events' }),
      serve(nc, this.subjects.propose, StoreProposeRequest, StoreProposeResponse, propose, { ...opts, queue: 'store-propose' }),
      serve(nc, this.subjects.proposeTo(String(this.o.member.id)), StoreProposeRequest, StoreProposeResponse, propose, opts),
    );
    // The same for service identities (issue 16), on their own subjects: NATS lets each publish
    // only under its own service's name, which is the scope its answers are redacted for.
    const scoped = this.subjects.scopedAny;
    this.listSubs.push(serveList(nc, scoped.list, 'store-list', (timeoutMs, subject) => this.list(timeoutMs, scopeOf(subject)), this.logger, timeout));
    const proposeScoped = (req: StoreProposeRequest, ctx: RequestContext) => this.propose(req, ctx, scopeOf(ctx.subject));
    this.served.push(
      serve(nc, scoped.eventsSince, StoreEventsRequest, StoreEventsSince, (req, ctx) => this.events(req, ctx, scopeOf(ctx.subject)), { ...opts, queue: 'store-events' }),
      serve(nc, scoped.propose, StoreProposeRequest, StoreProposeResponse, proposeScoped, { ...opts, queue: 'store-propose' }),
      serve(nc, scoped.proposeTo(String(this.o.member.id)), StoreProposeRequest, StoreProposeResponse, proposeScoped, opts),
    );
  }

  /**
   * Drains before stopping: requests the server already routed here are still answered (an
   * unsubscribe would drop them unanswered and leave their callers waiting out their timeout).
   */
  async stop(): Promise<void> {
    const subs = [...this.listSubs.splice(0), ...this.served.map((s) => s.subscription)];
    await Promise.all(subs.map((sub) => (sub.isClosed() ? undefined : sub.drain().catch(() => undefined))));
    await Promise.all(this.served.splice(0).map((s) => s.stop()));
  }

  private remaining(ctx: RequestContext): number {
    return Math.max(1, (ctx.deadline ?? Date.now() + (this.o.defaultTimeoutMs ?? 10_000)) - Date.now());
  }

  private async list(timeoutMs: number, scope?: ServiceScope): Promise<Uint8Array> {
    try {
      await this.o.member.readBarrier(timeoutMs);
    } catch (err) {
      throw memberErrorToBus(err, this.subjects.list);
    }
    // Encoded in slices: a large store must not hold this member's Raft loop for the whole list.
    return this.o.member.store.captureSnapshot().encode({ requests: false, ...(scope ? { transform: (kind, obj) => redact(scope, kind, obj) } : {}) });
  }

  private async events(req: StoreEventsRequest, ctx: RequestContext, scope?: ServiceScope): Promise<StoreEventsSince> {
    const wait = Math.min(req.waitMs, this.o.maxEventWaitMs ?? 30_000, this.remaining(ctx) - 100);
    if (this.o.member.appliedIndex <= req.sinceIndex && wait > 0) await this.o.member.waitForApplied(req.sinceIndex + 1, wait);
    const since = this.o.member.store.eventsSince(req.sinceIndex);
    if (scope === undefined || since.result?.$case !== 'events') return since;
    const events = since.result.value.events.map((ev) => ({ ...ev, object: redactWrapped(scope, ev.object), old: redactWrapped(scope, ev.old) }));
    return { result: { $case: 'events', value: { ...since.result.value, events } } };
  }

  private async propose(req: StoreProposeRequest, ctx: RequestContext, scope?: ServiceScope): Promise<StoreProposeResponse> {
    let tx: StoreTransaction;
    try {
      tx = StoreTransaction.decode(req.transaction);
    } catch (err) {
      throw new BusRequestError(BusErrorCode.INVALID_ARGUMENT, `proposal is not a StoreTransaction: ${(err as Error).message}`, { subject: ctx.subject });
    }
    if (scope !== undefined) {
      // Refused before it reaches the log; apply checks the same again on every member.
      const refusal = tx.scope !== scope ? `a write through the ${scope} service's subjects must say scope "${scope}" (it says "${tx.scope}")` : scopedWriteRefusal(scope, tx);
      if (refusal) throw new BusRequestError(BusErrorCode.PERMISSION_DENIED, `store write refused: ${refusal}`, { subject: ctx.subject });
    }
    let applied;
    try {
      applied = await this.o.member.propose(req.transaction, this.remaining(ctx));
    } catch (err) {
      throw memberErrorToBus(err, ctx.subject);
    }
    if (applied.result && !applied.result.ok) throw storeErrorToBus(applied.result.error, ctx.subject);
    // A retry of a transaction applied before answers with the first application's index.
    return { index: applied.result?.index ?? applied.index };
  }
}
