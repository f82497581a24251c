// The store, served over NATS by every Raft member so processes elsewhere can follow it:
// list at an index (linearizable, through a read barrier), events after an index (long poll,
// or a gap that forces a re-list), and proposals (the leader takes them; a follower asked
// directly answers NOT_LEADER with the leader's id).
import { StoreEventsRequest, StoreEventsSince, StoreProposeRequest, StoreProposeResponse, StoreTransaction } from '@flotilla/api';
import { BusErrorCode, BusRequestError, clusterSubjects, serve, type BusConnection, type RequestContext, type Served } from '@flotilla/bus';
import { pino, type Logger } from 'pino';
import type { RaftMember } from '../member/member.js';
import { memberErrorToBus, storeErrorToBus } from './errors.js';
import { serveList } from './list-stream.js';

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

export class StoreService {
  private readonly served: Served[] = [];
  private listSub: ReturnType<BusConnection['nc']['subscribe']> | undefined;
  private leaderServed: Served | undefined;
  private unsubscribeLeader: (() => void) | undefined;
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
    this.listSub = serveList(nc, this.subjects.list, 'store-list', (timeoutMs) => this.list(timeoutMs), this.logger, this.o.defaultTimeoutMs ?? 10_000);
    this.served.push(
      serve(nc, this.subjects.eventsSince, StoreEventsRequest, StoreEventsSince, (req, ctx) => this.events(req, ctx), { ...opts, queue: 'store-events' }),
      serve(nc, this.subjects.proposeTo(String(this.o.member.id)), StoreProposeRequest, StoreProposeResponse, (req, ctx) => this.propose(req, ctx), opts),
    );
    // The shared propose subject is answered by the leader alone, so a caller that does not know
    // the leader reaches it directly; between leaders there are no responders and it retries.
    this.unsubscribeLeader = this.o.member.onLeaderChange((c) => this.gateLeaderSubject(c.isLeader));
    this.gateLeaderSubject(this.o.member.isLeader);
  }

  async stop(): Promise<void> {
    this.unsubscribeLeader?.();
    if (this.listSub && !this.listSub.isClosed()) this.listSub.unsubscribe();
    const all = [...this.served.splice(0), ...(this.leaderServed ? [this.leaderServed] : [])];
    this.leaderServed = undefined;
    await Promise.all(all.map((s) => s.stop()));
  }

  private gateLeaderSubject(isLeader: boolean): void {
    if (isLeader && this.leaderServed === undefined) {
      this.leaderServed = serve(this.o.nc, this.subjects.propose, StoreProposeRequest, StoreProposeResponse, (req, ctx) => this.propose(req, ctx), {
        logger: this.logger,
      });
      this.logger.info('serving store proposals as leader');
    } else if (!isLeader && this.leaderServed !== undefined) {
      void this.leaderServed.stop();
      this.leaderServed = undefined;
      this.logger.info('stopped serving store proposals: no longer leader');
    }
  }

  private remaining(ctx: RequestContext): number {
    return Math.max(1, (ctx.deadline ?? Date.now() + (this.o.defaultTimeoutMs ?? 10_000)) - Date.now());
  }

  private async list(timeoutMs: number): Promise<Uint8Array> {
    try {
      await this.o.member.readBarrier(timeoutMs);
    } catch (err) {
      throw memberErrorToBus(err, this.subjects.list);
    }
    return this.o.member.store.snapshot();
  }

  private async events(req: StoreEventsRequest, ctx: RequestContext): Promise<StoreEventsSince> {
    const wait = Math.min(req.waitMs, this.o.maxEventWaitMs ?? 30_000, this.remaining(ctx) - 100);
    if (this.o.member.appliedIndex <= req.sinceIndex && wait > 0) await this.o.member.waitForApplied(req.sinceIndex + 1, wait);
    return this.o.member.store.eventsSince(req.sinceIndex);
  }

  private async propose(req: StoreProposeRequest, ctx: RequestContext): Promise<StoreProposeResponse> {
    try {
      StoreTransaction.decode(req.transaction);
    } catch (err) {
      throw new BusRequestError(BusErrorCode.INVALID_ARGUMENT, `proposal is not a StoreTransaction: ${(err as Error).message}`, { subject: ctx.subject });
    }
    let applied;
    try {
      applied = await this.o.member.propose(req.transaction, this.remaining(ctx));
    } catch (err) {
      throw memberErrorToBus(err, ctx.subject);
    }
    if (applied.result && !applied.result.ok) throw storeErrorToBus(applied.result.error, ctx.subject);
    return { index: applied.index };
  }
}
