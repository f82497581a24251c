// Runs one instance's side of a service lease (issue 16) over any StoreAccess: takes the lease
// when it is free, released, expired (by this instance's own count) or preemptible, renews it
// while holding, and tells its owner when to start and stop acting. Every write the owner makes
// meanwhile goes through fencedStoreAccess, which stamps the epoch held; the store refuses it
// once another instance holds a newer epoch, whatever this process believes.
import { randomUUID } from 'node:crypto';
import { StoreTransaction, type Lease, type LeaseFence, type LeaseHolderInfo } from '@flotilla/api';
import { pino, type Logger } from 'pino';
import type { StoreAccess } from '../store-access.js';
import { followStore, type Following } from '../store-follow.js';
import { LeaseLost, VersionConflict } from '../store/errors.js';
import { TransactionBuilder } from '../store/transaction.js';
import { DEFAULT_LEASE_DURATION_MS, LEADER_TIED_DURATION_MS, decideLease, holdDeadlineMs, observe, released, renewal, type Observed } from './lease-logic.js';

export interface LeaseRunnerOptions {
  access: StoreAccess;
  leaseId: string;
  /** This instance's id: a service certificate's CN, or the manager's node id for an in-process instance. */
  instanceId: string;
  holderInfo: LeaseHolderInfo;
  /**
   * How long a holder not heard from may be replaced (default 3 s); LEADER_TIED_DURATION_MS (0)
   * for an instance inside the Raft leader's flotillad: it never renews and holds until the lease
   * changes or it stops (its owner stops it when the leadership goes).
   */
  durationMs?: number;
  /** How often the holder renews. Default a third of the duration. */
  renewEveryMs?: number;
  mayPreempt?: (lease: Lease) => boolean;
  /** Start acting under `fence`; a throw gives the lease up again. */
  onAcquire(fence: LeaseFence): Promise<void>;
  /** Stop acting: the lease is lost, given up, or could not be renewed in time. */
  onLose(reason: string): Promise<void>;
  logger?: Logger;
  /** Monotonic clock (ms). Default performance.now. */
  now?: () => number;
}

export interface LeaseRunnerStatus {
  holding: boolean;
  epoch: number;
  holder: string;
}

export class LeaseRunner {
  private readonly log: Logger;
  private readonly durationMs: number;
  /** How long a lease write of its own is waited for (a leader-tied lease has no duration to go by). */
  private readonly writeWaitMs: number;
  private readonly renewEveryMs: number;
  private readonly now: () => number;
  private following: Following | undefined;
  private observed: Observed | undefined;
  private held: LeaseFence | undefined;
  /** Monotonic time the last confirmed renewal (or the acquisition) was sent. */
  private lastRenewSentMs = 0;
  private nextRenewMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private stepping: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Epochs this runner has taken, so a replayed old sighting of its own lease is not mistaken for the current one. */
  acquisitions = 0;

  constructor(private readonly o: LeaseRunnerOptions) {
    this.log = (o.logger ?? pino({ level: 'silent' })).child({ component: 'lease', leaseId: o.leaseId, instanceId: o.instanceId });
    this.durationMs = o.durationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.writeWaitMs = this.durationMs || DEFAULT_LEASE_DURATION_MS;
    this.renewEveryMs = o.renewEveryMs ?? Math.max(50, Math.floor(this.writeWaitMs / 3));
    this.now = o.now ?? (() => performance.now());
  }

  /** The fence of the epoch held now; undefined while not holding. */
  get fence(): LeaseFence | undefined {
    return this.held;
  }

  status(): LeaseRunnerStatus {
    const lease = this.o.access.view().leases.get(this.o.leaseId);
    return { holding: this.held !== undefined, epoch: this.held?.epoch ?? 0, holder: lease?.holder ?? '' };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // followStore re-reads on a lagged or re-listed watch; both only mean "look again".
    this.following = followStore(
      this.o.access,
      { kinds: ['lease'], predicate: (ev) => ev.object?.kind?.$case === 'lease' && ev.object.kind.value.id === this.o.leaseId },
      { onEvent: () => this.kick(), onResync: () => this.kick() },
      this.log,
    );
  }

  /** Stops acting and, when holding, releases the lease so another instance takes over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.following?.stop();
    while (this.stepping) await this.stepping;
    const held = this.held;
    if (held === undefined) return;
    await this.lose('stopping');
    const lease = this.o.access.view().leases.get(this.o.leaseId);
    if (lease?.holder !== held.holder || lease.epoch !== held.epoch) return;
    try {
      await this.write(released(lease), this.writeWaitMs);
      this.log.info({ epoch: held.epoch }, 'lease released');
    } catch (err) {
      this.log.warn({ err, epoch: held.epoch }, 'releasing the lease failed; another instance takes it over once it expires');
    }
  }

  /** Look at the lease again now (a store event, a timer, or a write refused by the fence). */
  kick(): void {
    if (this.stopped) return;
    if (this.stepping) {
      this.again = true;
      return;
    }
    this.stepping = (async () => {
      do {
        this.again = false;
        try {
          await this.step();
        } catch (err) {
          this.log.error({ err }, 'lease step failed; trying again shortly');
          this.schedule(this.now() + Math.min(500, this.renewEveryMs));
        }
      } while (this.again && !this.stopped);
      this.stepping = undefined;
    })();
  }

  private schedule(atMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped || atMs === Number.POSITIVE_INFINITY) return; // a store event kicks it
    this.timer = setTimeout(() => this.kick(), Math.max(0, Math.min(atMs - this.now(), 2 ** 31 - 1)));
  }

  private async step(): Promise<void> {
    const lease = this.o.access.view().leases.get(this.o.leaseId);
    const now = this.now();
    this.observed = observe(this.observed, lease, now);
    if (this.held !== undefined) return this.stepHolding(lease, now);
    const decision = decideLease({
      leaseId: this.o.leaseId,
      self: this.o.instanceId,
      selfInfo: this.o.holderInfo,
      durationMs: this.durationMs,
      lease,
      observed: this.observed,
      nowMs: now,
      wallMs: Date.now(),
      ...(this.o.mayPreempt ? { mayPreempt: this.o.mayPreempt } : {}),
    });
    if (decision.kind === 'wait') return this.schedule(decision.recheckAtMs);
    if (decision.kind === 'holding') return; // not reached: heldEpoch is undefined here
    const sent = this.now();
    try {
      await this.write(decision.next, this.writeWaitMs);
    } catch (err) {
      // Another candidate got in first (or the store is away): look again on the next change or soon.
      if (!(err instanceof VersionConflict)) this.log.warn({ err }, 'taking the lease failed');
      return this.schedule(this.now() + this.renewEveryMs);
    }
    const fence = { leaseId: this.o.leaseId, epoch: decision.next.epoch, holder: this.o.instanceId };
    this.held = fence;
    this.acquisitions++;
    this.lastRenewSentMs = sent;
    this.nextRenewMs = sent + this.renewEveryMs;
    this.log.info({ epoch: fence.epoch, why: decision.why, previousHolder: lease?.holder ?? '' }, 'lease acquired; acting');
    try {
      await this.o.onAcquire(fence);
    } catch (err) {
      this.log.error({ err, epoch: fence.epoch }, 'starting under the lease failed; giving it up');
      await this.lose('start failed');
      const now2 = this.o.access.view().leases.get(this.o.leaseId);
      if (now2?.holder === fence.holder && now2.epoch === fence.epoch) await this.write(released(now2), this.writeWaitMs).catch(() => undefined);
      return this.schedule(this.now() + this.writeWaitMs);
    }
    if (this.durationMs !== LEADER_TIED_DURATION_MS) this.schedule(this.nextRenewMs);
  }

  private async stepHolding(lease: Lease | undefined, now: number): Promise<void> {
    const held = this.held!;
    if (lease === undefined || lease.holder !== held.holder || lease.epoch !== held.epoch) {
      return this.lose(lease === undefined ? 'the lease was deleted' : `lease now at epoch ${lease.epoch} held by ${lease.holder || 'nobody'}`);
    }
    if (this.durationMs === LEADER_TIED_DURATION_MS) return; // held until the lease changes or stop()
    const deadline = holdDeadlineMs(this.lastRenewSentMs, this.durationMs);
    if (now >= deadline) return this.lose(`not renewed for ${Math.round(now - this.lastRenewSentMs)} ms`);
    if (now < this.nextRenewMs) return this.schedule(Math.min(this.nextRenewMs, deadline));
    const sent = this.now();
    try {
      // Waited for only until the hold deadline: a store that does not answer must not keep this
      // instance acting past it (the write itself may still land; then the next step retakes).
      await this.write(renewal(lease), Math.max(1, deadline - sent));
      this.lastRenewSentMs = sent;
      this.nextRenewMs = sent + this.renewEveryMs;
    } catch (err) {
      if (err instanceof VersionConflict) {
        this.again = true; // the lease changed under us: the next step sees by whom
        return;
      }
      this.log.warn({ err }, 'renewing the lease failed; retrying');
      this.nextRenewMs = this.now() + Math.min(200, this.renewEveryMs);
    }
    this.schedule(Math.min(this.nextRenewMs, holdDeadlineMs(this.lastRenewSentMs, this.durationMs)));
  }

  private async lose(reason: string): Promise<void> {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.log.warn({ epoch: held.epoch, reason }, 'lease lost; stopping');
    try {
      await this.o.onLose(reason);
    } catch (err) {
      this.log.error({ err }, 'stopping after losing the lease failed');
    }
  }

  /** Proposes `lease`; gives up waiting after `waitMs` (the proposal may still be applied later). */
  private async write(lease: Lease, waitMs: number): Promise<number> {
    const tx = new TransactionBuilder(`lease-${this.o.leaseId}-${randomUUID()}`, Date.now());
    if (lease.meta === undefined) tx.create('lease', lease);
    else tx.update('lease', lease);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lease ${this.o.leaseId}: the store did not confirm the write within ${waitMs} ms`)), waitMs);
    });
    const write = this.o.access.propose(tx.build());
    write.catch(() => undefined);
    try {
      return await Promise.race([write, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The owner's StoreAccess while it holds the lease: every proposal carries the fence of the epoch
 * held at the moment it is made. Not holding, a write is refused here at once; a write the store
 * refuses with LeaseLost makes the runner look at the lease again (it then stops the owner).
 */
export function fencedStoreAccess(access: StoreAccess, runner: LeaseRunner, log?: Logger): StoreAccess {
  return {
    view: () => access.view(),
    watch: (filter, options) => access.watch(filter, options),
    async propose(tx) {
      const fence = runner.fence;
      const built = tx instanceof Uint8Array ? StoreTransaction.decode(tx) : tx;
      if (fence === undefined) throw new LeaseLost(built.fence?.leaseId ?? '', 0, 0, '');
      try {
        return await access.propose({ ...built, fence });
      } catch (err) {
        if (err instanceof LeaseLost) {
          log?.warn({ leaseId: fence.leaseId, epoch: fence.epoch, txId: built.id, err: err.message }, 'write refused by the lease fence: this instance lost the lease');
          runner.kick();
        }
        throw err;
      }
    },
  };
}
