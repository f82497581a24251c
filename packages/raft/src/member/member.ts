// The edge of a Raft member: owns the tick timer, the write-ahead log, the NATS transport and
// the store, and drives the pure RaftNode through its Ready contract. Everything decided here
// is decided by the core; this file only performs I/O in the order the core requires.
import { randomBytes, randomInt } from 'node:crypto';
import {
  RaftConfChange,
  RaftConfChangeType,
  RaftEntryType,
  RaftSnapshot,
  type RaftConfState,
  type RaftEntry,
  type RaftHardState,
  type RaftMessage,
} from '@flotilla/api';
import type { BusConnection } from '@flotilla/bus';
import { pino, type Logger } from 'pino';
import type { MemoryStorage } from '../core/memory-storage.js';
import { RaftNode } from '../core/node.js';
import { isRaftError } from '../core/errors.js';
import { SeededRng } from '../core/rng.js';
import { EMPTY, NONE, isEmptySnapshot, snapshotIndex, type Ready, type RaftRole, type SoftState } from '../core/types.js';
import { WalUsageError, isNoSpace } from '../storage/errors.js';
import type { PreparedSnapshot } from '../storage/snapshot-files.js';
import type { Wal, WalOptions } from '../storage/wal.js';
import { requestDigest } from '../store/requests.js';
import { concatSliced } from '../store/snapshot.js';
import { recordedResult, type Store, type StoreOptions } from '../store/store.js';
import { transactionIdOf } from '../store/transaction.js';
import { NatsRaftTransport } from '../transport/nats-transport.js';
import type { DropFilter } from '../transport/drop-filter.js';
import { encodeHardState, recover, walEntries } from './durable-state.js';
import { RaftMemberError } from './errors.js';
import { PendingProposals, PendingReads, type Applied } from './pending.js';

export interface RaftMemberOptions {
  /** This member's Raft id (positive integer); also its NATS subject token. */
  id: number;
  clusterId: string;
  dataDir: string;
  /** The member's own NATS connection; it stays the caller's to close. */
  nc: BusConnection['nc'];
  /** Founding voters, used only when dataDir is empty. Omit for a member that will be added later. */
  bootstrap?: number[];
  /** Milliseconds per Raft tick. Default 100. */
  tickMs?: number;
  /** Ticks without a leader before an election (randomized up to twice that). Default 10. */
  electionTicks?: number;
  /** Ticks between heartbeats. Default 1. */
  heartbeatTicks?: number;
  /** Take a snapshot after this many applied entries. Default 10 000. */
  snapshotEvery?: number;
  /** Entries kept in memory behind a snapshot so slightly lagging followers catch up without one. Default 1 000. */
  keepEntriesAfterSnapshot?: number;
  /** Default deadline of propose/readBarrier/addMember/removeMember. Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * A leader that has heard from no quorum of voters for this many ticks refuses proposals at once
   * (NOT_LEADER, no hint) instead of taking writes it probably cannot commit. Counted in ticks like
   * the core's timeouts, so a stalled event loop does not trip it. Default: half of electionTicks.
   */
  leaderContactTicks?: number;
  /** While the disk is full, how often the write that failed is tried again. Default 500 ms. */
  noSpaceRetryMs?: number;
  wal?: Omit<WalOptions, 'logger'>;
  store?: Omit<StoreOptions, 'logger' | 'nodeId'>;
  /** Largest append message; keep well under the NATS max payload. Default 512 KiB. */
  maxSizePerMsg?: number;
  /** Transport messages larger than this are sent in chunks. Default 256 KiB. */
  chunkBytes?: number;
  logger?: Logger;
  /** The member's node id, for logs. */
  nodeId?: string;
}

export interface MemberStatus {
  id: number;
  role: RaftRole;
  term: number;
  leader: number;
  commit: number;
  applied: number;
  snapshotIndex: number;
  voters: number[];
}

/** What the last snapshot this member took cost. */
export interface SnapshotFigures {
  index: number;
  bytes: number;
  /** Wall time to encode the store (sliced, the event loop free in between). */
  encodeMs: number;
  /** From the start of the encoding to the snapshot installed and the log compacted. */
  totalMs: number;
}

export interface LeaderChange {
  leader: number;
  isLeader: boolean;
  term: number;
}

export class RaftMember {
  private readonly proposals = new PendingProposals();
  private readonly reads = new PendingReads();
  private timer: NodeJS.Timeout | undefined;
  private loopActive = false;
  private loopDone: Promise<void> = Promise.resolve();
  private stopped = false;
  private failure: Error | undefined;
  private applied: number;
  private lastSnapshotIndex: number;
  private soft: SoftState = { lead: NONE, role: 'follower' };
  /** Hard state last written to the WAL, and the newest one the core handed out. */
  private durableHard: RaftHardState;
  private latestHard: RaftHardState;
  private batch: Array<{ data: Uint8Array; timeoutMs: number; resolve: (a: Applied) => void; reject: (e: unknown) => void }> = [];
  private readonly appliedWaiters = new Set<{ index: number; done: (reached: boolean) => void }>();
  private readonly leaderListeners = new Set<(change: LeaderChange) => void>();
  private readonly proposalListeners = new Set<(seconds: number, ok: boolean) => void>();
  private readonly fatalListeners = new Set<(err: Error) => void>();
  private readonly writeRefusalListeners = new Set<(refusal: RaftMemberError) => void>();
  /** Proposals on their way through this leader's log, by transaction id: a retry joins its first try. */
  private readonly inflight = new Map<string, { digest: string; applied: Promise<Applied> }>();
  /** Ticks counted here, and the tick at which each peer was last heard from (stale-leader check). */
  private ticks = 0;
  private readonly lastHeard = new Map<number, number>();
  private leaderSinceTick = 0;
  /** Set while the disk under the data dir is full; writes are refused until a retry succeeds. */
  private noSpace: RaftMemberError | undefined;
  private snapshotTask: Promise<void> | undefined;
  private prepared: { prepared: PreparedSnapshot; index: number; confState: RaftConfState; data: Buffer; bytes: number; encodeMs: number; startedAt: number } | undefined;
  private snapshotNotBefore = 0;
  private readonly votersListeners = new Set<(voters: number[]) => void>();
  /** Counters for tests and metrics. */
  readonly stats: { snapshotsTaken: number; snapshotsInstalled: number; readiesHandled: number; lastSnapshot?: SnapshotFigures } = {
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    readiesHandled: 0,
  };

  private constructor(
    private readonly opts: Required<
      Pick<RaftMemberOptions, 'id' | 'requestTimeoutMs' | 'snapshotEvery' | 'keepEntriesAfterSnapshot' | 'leaderContactTicks' | 'noSpaceRetryMs' | 'dataDir' | 'nodeId'>
    >,
    readonly node: RaftNode,
    private readonly storage: MemoryStorage,
    private readonly wal: Wal,
    /** The replicated store as applied on this member; read it freely, write only through propose(). */
    readonly store: Store,
    readonly transport: NatsRaftTransport,
    private readonly logger: Logger,
    snapIndex: number,
  ) {
    this.applied = snapIndex;
    this.lastSnapshotIndex = snapIndex;
    this.durableHard = storage.initialState().hardState;
    this.latestHard = { ...this.durableHard };
  }

  /** Opens (or creates) the member's data directory, replays it and starts ticking and listening. */
  static async start(o: RaftMemberOptions): Promise<RaftMember> {
    const logger = (o.logger ?? pino({ level: 'silent' })).child({ component: 'raft', memberId: o.id, nodeId: o.nodeId ?? String(o.id) });
    const rec = await recover(o.dataDir, o.bootstrap, { ...o.wal, logger }, { ...o.store, logger, nodeId: o.nodeId ?? String(o.id) }, logger);
    const node = new RaftNode({
      id: o.id,
      storage: rec.storage,
      electionTick: o.electionTicks ?? 10,
      heartbeatTick: o.heartbeatTicks ?? 1,
      rng: new SeededRng(randomInt(2 ** 31)),
      applied: rec.snapshotIndex,
      preVote: true,
      checkQuorum: true,
      maxSizePerMsg: o.maxSizePerMsg ?? 512 * 1024,
    });
    let member: RaftMember | undefined;
    const transport = new NatsRaftTransport({
      nc: o.nc,
      clusterId: o.clusterId,
      memberId: o.id,
      logger,
      ...(o.chunkBytes !== undefined ? { chunkBytes: o.chunkBytes } : {}),
      onMessage: (m) => member?.receive(m),
      onSnapshotSent: (to, sent) => member?.snapshotSent(to, sent),
    });
    member = new RaftMember(
      {
        id: o.id,
        requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
        snapshotEvery: o.snapshotEvery ?? 10_000,
        keepEntriesAfterSnapshot: o.keepEntriesAfterSnapshot ?? 1_000,
        // Half an election timeout: heartbeats go every tick, so this much silence from a quorum
        // is telling, and it refuses before check-quorum deposes the leader (a full timeout).
        leaderContactTicks: o.leaderContactTicks ?? Math.max(2, Math.ceil((o.electionTicks ?? 10) / 2)),
        noSpaceRetryMs: o.noSpaceRetryMs ?? 500,
        dataDir: o.dataDir,
        nodeId: o.nodeId ?? String(o.id),
      },
      node,
      rec.storage,
      rec.wal,
      rec.store,
      transport,
      logger,
      rec.snapshotIndex,
    );
    const st = node.status();
    logger.info(
      { term: st.term, commit: st.commit, snapshotIndex: rec.snapshotIndex, lastIndex: rec.storage.lastIndex(), fresh: rec.fresh },
      'raft member starting',
    );
    transport.start();
    const tickMs = o.tickMs ?? 100;
    member.timer = setInterval(() => member!.onTick(), tickMs);
    member.kick();
    return member;
  }

  get id(): number {
    return this.opts.id;
  }

  get isLeader(): boolean {
    return this.node.raft.role === 'leader';
  }

  get leaderId(): number {
    return this.node.raft.lead;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** The unrecoverable error that stopped this member (WAL, apply, snapshot), if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Set while the disk under the data dir is full: writes are refused with this error until space returns. */
  get writeRefusal(): RaftMemberError | undefined {
    return this.noSpace;
  }

  /**
   * Calls `listener` once if the member fails for good (a WAL or apply error): the member has
   * stopped and the process should exit so its supervisor restarts it from the data dir.
   * Called at once (asynchronously) when the member has failed already. Returns an unsubscribe.
   */
  onFatal(listener: (err: Error) => void): () => void {
    const failure = this.failure;
    if (failure !== undefined) queueMicrotask(() => listener(failure));
    else this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  /**
   * Calls `listener` each time this member finds its disk full (writeRefusal becomes set): a
   * caller waiting for this member to apply a write committed elsewhere learns at once that it
   * will not until space returns. Returns an unsubscribe.
   */
  onWriteRefusal(listener: (refusal: RaftMemberError) => void): () => void {
    this.writeRefusalListeners.add(listener);
    return () => this.writeRefusalListeners.delete(listener);
  }

  status(): MemberStatus {
    const s = this.node.status();
    return {
      id: s.id,
      role: s.role,
      term: s.term,
      leader: s.lead,
      commit: s.commit,
      applied: this.applied,
      snapshotIndex: this.lastSnapshotIndex,
      voters: this.node.confState().voters,
    };
  }

  /** Drops chosen messages at this member's transport (tests partition members with it). */
  setDropFilter(filter: DropFilter | undefined): void {
    this.transport.setDropFilter(filter);
  }

  /** Starts an election now instead of waiting for the timeout. */
  campaign(): void {
    this.ensureRunning();
    this.node.campaign();
    this.kick();
  }

  /**
   * Proposes an encoded StoreTransaction. Resolves once its entry is applied on this member, with
   * the store's verdict (a refused transaction still resolves: it was ordered, and refused the same
   * way everywhere). Rejects NOT_LEADER with a leader hint on followers.
   *
   * Exactly once: the transaction id is the idempotency key. When the store already holds the
   * outcome of this id (and these bytes), it resolves at once with that first outcome, on any
   * member; while the same bytes are still on their way through this leader's log, a repeat waits
   * for that entry instead of appending another. So a caller may send the same bytes again after
   * any failure (timeout, lost reply, leader change) and the write applies once.
   */
  propose(txBytes: Uint8Array, timeoutMs = this.opts.requestTimeoutMs): Promise<Applied> {
    if (this.proposalListeners.size === 0) return this.proposeOnce(txBytes, timeoutMs);
    const started = performance.now();
    const applied = this.proposeOnce(txBytes, timeoutMs);
    const done = (ok: boolean) => () => {
      const seconds = (performance.now() - started) / 1000;
      for (const l of this.proposalListeners) l(seconds, ok);
    };
    applied.then(done(true), done(false));
    return applied;
  }

  /**
   * Calls `listener` with each proposal's time from propose() to applied here (or failed), in
   * seconds: the figure a metrics histogram wants. Returns the unsubscribe function.
   */
  onProposalDone(listener: (seconds: number, ok: boolean) => void): () => void {
    this.proposalListeners.add(listener);
    return () => this.proposalListeners.delete(listener);
  }

  private proposeOnce(txBytes: Uint8Array, timeoutMs: number): Promise<Applied> {
    const txId = transactionIdOf(txBytes);
    if (txId === '') return this.queueProposal(txBytes, timeoutMs);
    const digest = requestDigest(txBytes);
    const recorded = this.store.recentRequest(txId);
    if (recorded !== undefined && recorded.digest === digest) return Promise.resolve({ index: recorded.index, result: recordedResult(recorded) });
    let flight = this.inflight.get(txId);
    if (flight === undefined || flight.digest !== digest) {
      const applied = this.queueProposal(txBytes, Math.max(timeoutMs, this.opts.requestTimeoutMs));
      const f = { digest, applied };
      flight = f;
      this.inflight.set(txId, f);
      const forget = (): void => {
        if (this.inflight.get(txId) === f) this.inflight.delete(txId);
      };
      applied.then(forget, forget);
    }
    return this.withDeadline(flight.applied, timeoutMs, `transaction ${txId} not applied within ${timeoutMs} ms`);
  }

  /** Adds `id` as a voter (single-server change); resolves once the change is applied here. */
  addMember(id: number, timeoutMs = this.opts.requestTimeoutMs): Promise<Applied> {
    return this.confChange(RaftConfChangeType.RAFT_CONF_CHANGE_ADD_VOTER, id, timeoutMs);
  }

  removeMember(id: number, timeoutMs = this.opts.requestTimeoutMs): Promise<Applied> {
    return this.confChange(RaftConfChangeType.RAFT_CONF_CHANGE_REMOVE_VOTER, id, timeoutMs);
  }

  /**
   * Linearizable read barrier (read-index): resolves with an index once this member has applied
   * everything committed when the barrier was asked for; a store read after that is up to date.
   */
  readBarrier(timeoutMs = this.opts.requestTimeoutMs): Promise<number> {
    this.ensureRunning();
    // The Ready that found the disk full is held until it can be written; no later one (which
    // would confirm the read point) is handled meanwhile: say why now rather than time out.
    if (this.noSpace) return Promise.reject(new RaftMemberError('NO_SPACE', `${this.noSpace.message}; reads cannot be confirmed until space returns`, this.node.raft.lead));
    const lead = this.node.raft.lead;
    if (lead === NONE) return Promise.reject(new RaftMemberError('NOT_LEADER', `member ${this.id}: no leader known for a read barrier`));
    const ctx = randomBytes(12);
    const key = ctx.toString('hex');
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.forget(key);
        reject(new RaftMemberError('TIMEOUT', `member ${this.id}: read barrier not confirmed within ${timeoutMs} ms`, this.node.raft.lead));
      }, timeoutMs);
      this.reads.add(key, {
        resolve: (i) => (clearTimeout(timer), resolve(i)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.node.readIndex(ctx);
      this.kick();
    });
  }

  /** Asks this leader to hand leadership to voter `to` (it catches up first, then campaigns). */
  transferLeadership(to: number): void {
    this.ensureRunning();
    this.node.transferLeadership(to);
    this.kick();
  }

  /** Resolves true once this member has applied `index`, false at the deadline or on stop. */
  waitForApplied(index: number, timeoutMs: number): Promise<boolean> {
    if (this.applied >= index) return Promise.resolve(true);
    if (this.stopped || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = {
        index,
        done: (reached: boolean) => {
          clearTimeout(timer);
          this.appliedWaiters.delete(w);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => w.done(false), timeoutMs);
      this.appliedWaiters.add(w);
    });
  }

  /** Calls `listener` whenever the known leader or this member's leadership changes; returns an unsubscribe. */
  onLeaderChange(listener: (change: LeaderChange) => void): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  /**
   * Calls `listener` with the voters after this member applied a membership change or installed a
   * snapshot (whose configuration may differ); returns an unsubscribe. Store watchers see neither.
   */
  onVotersChange(listener: (voters: number[]) => void): () => void {
    this.votersListeners.add(listener);
    return () => this.votersListeners.delete(listener);
  }

  private tellVoters(): void {
    const voters = this.node.confState().voters;
    for (const l of this.votersListeners) {
      try {
        l([...voters]);
      } catch (err) {
        this.logger.error({ err }, 'voters listener failed');
      }
    }
  }

  /** Stops cleanly: no more ticks or messages, waits for the current Ready and snapshot, closes the WAL. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.halt(new RaftMemberError('STOPPED', `member ${this.id} stopped`));
    await this.loopDone;
    await this.snapshotTask;
    if (this.prepared) await this.wal.discardSnapshot(this.prepared.prepared).catch(() => undefined);
    await this.wal.close().catch(() => undefined);
    this.logger.info({ applied: this.applied }, 'raft member stopped');
  }

  /**
   * Simulates a crash: stops at once without finishing the Ready in progress (nothing more is
   * sent, applied or persisted after the write under way), then releases the files so the same
   * data directory can be reopened. The NATS connection should be closed by the caller too.
   */
  async crash(): Promise<void> {
    if (this.stopped) return;
    this.halt(new RaftMemberError('STOPPED', `member ${this.id} crashed`));
    await this.wal.close().catch(() => undefined);
  }

  // --- internals ---------------------------------------------------------------------

  private halt(err: Error): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.transport.close();
    this.proposals.failAll(() => err);
    this.reads.failAll(err);
    for (const b of this.batch.splice(0)) b.reject(err);
    for (const w of [...this.appliedWaiters]) w.done(false);
  }

  /** An unrecoverable error: stop for good and tell whoever listens (flotillad exits). */
  private fail(err: Error): void {
    if (this.failure !== undefined || this.stopped) return;
    this.failure = err;
    this.logger.error({ err }, 'raft member failed; stopping for good');
    this.halt(new RaftMemberError('FAILED', `member ${this.id} failed: ${err.message}`));
    for (const l of [...this.fatalListeners]) {
      try {
        l(err);
      } catch (e) {
        this.logger.error({ err: e }, 'fatal-error listener failed');
      }
    }
  }

  /** Resolves as `p` does, or rejects TIMEOUT after `timeoutMs` (p goes on; others may wait for it). */
  private withDeadline<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    if (timeoutMs >= this.opts.requestTimeoutMs) return p;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RaftMemberError('TIMEOUT', `member ${this.id}: ${what}`, this.node.raft.lead)), timeoutMs);
      p.then(
        (v) => (clearTimeout(timer), resolve(v)),
        (e: unknown) => (clearTimeout(timer), reject(e)),
      );
    });
  }

  private ensureRunning(): void {
    if (this.failure) throw new RaftMemberError('FAILED', `member ${this.id} failed: ${this.failure.message}`);
    if (this.stopped) throw new RaftMemberError('STOPPED', `member ${this.id} is stopped`);
  }

  /** Rejects unless this member is running and leads. */
  private leaderCheck(): RaftMemberError | undefined {
    if (this.failure) return new RaftMemberError('FAILED', `member ${this.id} failed: ${this.failure.message}`);
    if (this.stopped) return new RaftMemberError('STOPPED', `member ${this.id} is stopped`);
    if (this.noSpace) return this.noSpace;
    const r = this.node.raft;
    if (r.role !== 'leader') {
      return new RaftMemberError('NOT_LEADER', `member ${this.id} is not the leader (leader: ${r.lead === NONE ? 'unknown' : r.lead})`, r.lead);
    }
    const cutOff = this.quorumContactLost();
    if (cutOff) return new RaftMemberError('NOT_LEADER', cutOff);
    return undefined;
  }

  /** Why this leader is probably cut off from its voters, or undefined when a quorum was heard from lately. */
  private quorumContactLost(): string | undefined {
    const window = this.opts.leaderContactTicks;
    if (this.ticks - this.leaderSinceTick < window) return undefined;
    const voters = this.node.confState().voters;
    const others = voters.filter((v) => v !== this.id);
    if (others.length === 0) return undefined;
    const heard = others.filter((v) => this.ticks - (this.lastHeard.get(v) ?? -Infinity) <= window).length;
    const selfVotes = voters.includes(this.id) ? 1 : 0;
    if (heard + selfVotes > voters.length / 2) return undefined;
    return `member ${this.id} leads term ${this.node.raft.term} but heard from only ${heard} of ${others.length} other voters in the last ${window} ticks: it is probably cut off; refusing the write`;
  }

  private mapProposeError(e: unknown): unknown {
    const lead = this.node.raft.lead;
    if (isRaftError(e, 'proposal-dropped')) return new RaftMemberError('NOT_LEADER', e.message, lead);
    if (isRaftError(e, 'conf-change-rejected')) return new RaftMemberError('REFUSED', e.message, lead);
    return e;
  }

  /**
   * Transactions proposed in the same turn of the event loop go to the core as one batch: one
   * append per follower instead of one per proposal.
   */
  private queueProposal(data: Uint8Array, timeoutMs: number): Promise<Applied> {
    const refused = this.leaderCheck();
    if (refused) return Promise.reject(refused);
    return new Promise<Applied>((resolve, reject) => {
      this.batch.push({ data, timeoutMs, resolve, reject });
      if (this.batch.length === 1) queueMicrotask(() => this.flushProposals());
    });
  }

  private flushProposals(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    const failAll = (e: unknown): void => batch.forEach((b) => b.reject(e));
    const refused = this.leaderCheck();
    if (refused) return failAll(refused);
    const r = this.node.raft;
    const before = r.raftLog.lastIndex();
    try {
      this.node.propose(...batch.map((b) => b.data));
    } catch (e) {
      return failAll(this.mapProposeError(e));
    }
    if (r.raftLog.lastIndex() !== before + batch.length) {
      return failAll(new Error(`member ${this.id}: a batch of ${batch.length} proposals appended ${r.raftLog.lastIndex() - before} entries`));
    }
    batch.forEach((b, i) => this.awaitApply(before + 1 + i, r.term, 'tx', b.timeoutMs, b.resolve, b.reject));
    this.kick();
  }

  private proposeEntry(kind: 'conf', timeoutMs: number, submit: () => void): Promise<Applied> {
    const refused = this.leaderCheck();
    if (refused) return Promise.reject(refused);
    const r = this.node.raft;
    const before = r.raftLog.lastIndex();
    try {
      submit();
    } catch (e) {
      return Promise.reject(this.mapProposeError(e));
    }
    const index = r.raftLog.lastIndex();
    if (index !== before + 1) {
      return Promise.reject(new Error(`member ${this.id}: proposal did not append exactly one entry (${before} -> ${index})`));
    }
    const p = new Promise<Applied>((resolve, reject) => this.awaitApply(index, r.term, kind, timeoutMs, resolve, reject));
    this.kick();
    return p;
  }

  private awaitApply(
    index: number,
    term: number,
    kind: 'tx' | 'conf',
    timeoutMs: number,
    resolve: (a: Applied) => void,
    reject: (e: unknown) => void,
  ): void {
    const timer = setTimeout(() => {
      this.proposals.forget(index);
      reject(new RaftMemberError('TIMEOUT', `member ${this.id}: entry ${index} (term ${term}) not applied within ${timeoutMs} ms`, this.node.raft.lead));
    }, timeoutMs);
    this.proposals.add(index, {
      term,
      kind,
      resolve: (a) => (clearTimeout(timer), resolve(a)),
      reject: (e) => (clearTimeout(timer), reject(e)),
    });
  }

  private confChange(type: RaftConfChangeType, nodeId: number, timeoutMs: number): Promise<Applied> {
    return this.proposeEntry('conf', timeoutMs, () => this.node.proposeConfChange({ type, nodeId, context: EMPTY }));
  }

  private onTick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.node.tick();
    this.kick();
  }

  private receive(m: RaftMessage): void {
    if (this.stopped) return;
    this.lastHeard.set(m.from, this.ticks);
    this.node.step(m);
    this.kick();
  }

  private snapshotSent(to: number, sent: boolean): void {
    if (this.stopped) return;
    this.node.reportSnapshot(to, sent);
    this.kick();
  }

  /** Runs the Ready loop unless it is running already (it re-checks for work before it ends). */
  private kick(): void {
    if (this.loopActive || this.stopped) return;
    this.loopActive = true;
    this.loopDone = this.runLoop();
  }

  private async runLoop(): Promise<void> {
    try {
      while (!this.stopped && (this.node.hasReady() || this.prepared !== undefined)) {
        if (this.node.hasReady()) {
          await this.handleReady(this.node.ready());
          if (this.stopped) return;
          this.node.advance();
          this.stats.readiesHandled++;
        }
        if (this.prepared !== undefined) await this.installPreparedSnapshot();
        this.maybeStartSnapshot();
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.loopActive = false;
    }
  }

  /**
   * Runs a write, and while the disk is full keeps the member as it is and tries again every
   * noSpaceRetryMs: nothing of this Ready is sent or applied meanwhile (nothing is acknowledged
   * that is not on disk), and new writes are refused with a clear error. Other errors are fatal.
   */
  private async durably(what: string, write: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        await write();
        if (this.noSpace) {
          this.logger.warn({ dataDir: this.opts.dataDir }, 'space is available again under the data dir; writes resume');
          this.noSpace = undefined;
        }
        return;
      } catch (err) {
        if (!isNoSpace(err) || this.stopped) throw err;
        if (!this.noSpace) {
          this.noSpace = new RaftMemberError('NO_SPACE', `no space left on device under ${this.opts.dataDir} on manager ${this.opts.nodeId}: write refused`, this.node.raft.lead);
          this.logger.error({ err, dataDir: this.opts.dataDir, while: what }, `${this.noSpace.message}; retrying every ${this.opts.noSpaceRetryMs} ms`);
          for (const l of [...this.writeRefusalListeners]) {
            try {
              l(this.noSpace);
            } catch (e) {
              this.logger.error({ err: e }, 'write-refusal listener failed');
            }
          }
        }
        await new Promise((r) => setTimeout(r, this.opts.noSpaceRetryMs));
        if (this.stopped) return;
      }
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState);
    // 1. Persist: snapshot, entries, hard state, all fsynced.
    const snap = rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot) ? rd.snapshot : undefined;
    if (snap !== undefined) {
      const meta = snap.metadata!;
      const bytes = RaftSnapshot.encode(snap).finish();
      await this.durably('saving the leader\'s snapshot', () => this.wal.saveSnapshot({ index: meta.index, term: meta.term, data: bytes }));
      if (this.stopped) return;
      this.storage.applySnapshot(snap);
    }
    // Term and vote must be durable before any message; the commit index need not be (Raft
    // recovers it), so moving commit costs no extra fsync of the hard state file. It is written
    // with the next term/vote change, and always before a snapshot (restart needs commit >= snapshot).
    // Except past a membership change: a restart rebuilds the voters from the committed entries, and
    // a removal it no longer knows as committed would count a voter that is gone for good (a sole
    // manager left after a demotion could then never win an election).
    const hs = rd.hardState;
    const voteChanged = hs !== undefined && (hs.term !== this.durableHard.term || hs.vote !== this.durableHard.vote || snap !== undefined);
    const membershipCommitted =
      hs !== undefined && hs.commit > this.durableHard.commit && rd.committedEntries.some((e) => e.type === RaftEntryType.RAFT_ENTRY_CONF_CHANGE);
    if (rd.entries.length > 0 || voteChanged || membershipCommitted) {
      const writeHard = voteChanged || membershipCommitted ? hs : undefined;
      const records = walEntries(rd.entries);
      await this.durably('appending entries', () => this.wal.save(writeHard ? encodeHardState(writeHard) : undefined, records));
      if (this.stopped) return;
      if (writeHard) this.durableHard = { ...writeHard };
    }
    this.storage.append(rd.entries);
    if (hs) {
      this.latestHard = { ...hs };
      this.storage.setHardState(hs);
    }
    // 2. Only now may anything leave: votes and acknowledgements are durable.
    this.transport.send(rd.messages);
    // 3. Apply.
    if (snap !== undefined) this.applySnapshot(snap);
    for (const e of rd.committedEntries) this.applyEntry(e);
    for (const rs of rd.readStates) this.reads.confirmed(rs.requestCtx.toString('hex'), rs.index, this.applied);
    this.reads.appliedTo(this.applied);
    for (const w of [...this.appliedWaiters]) if (w.index <= this.applied) w.done(true);
  }

  private onSoftState(s: SoftState): void {
    const prev = this.soft;
    this.soft = s;
    const term = this.node.raft.term;
    if (s.lead !== prev.lead) this.logger.info({ term, leader: s.lead, role: s.role, previousLeader: prev.lead }, 'raft leader changed');
    else this.logger.debug({ term, role: s.role }, 'raft role changed');
    for (const l of this.leaderListeners) {
      try {
        l({ leader: s.lead, isLeader: s.role === 'leader', term });
      } catch (err) {
        this.logger.error({ err }, 'leader-change listener failed');
      }
    }
    if (s.role === 'leader' && prev.role !== 'leader') this.leaderSinceTick = this.ticks;
    if (s.lead !== prev.lead && this.reads.size > 0) {
      // A read index asked of the previous leader will never be answered: fail it now, the caller retries.
      this.reads.failAll(new RaftMemberError('LEADER_CHANGED', `member ${this.id}: the leader changed (${prev.lead} -> ${s.lead}) while a read barrier was pending; retry`, s.lead));
    }
    if (prev.role === 'leader' && s.role !== 'leader') {
      this.proposals.failAll(
        (i) => new RaftMemberError('LEADER_CHANGED', `member ${this.id} lost leadership (term ${term}) before entry ${i} was applied; it may still commit`, s.lead),
      );
    }
  }

  private applySnapshot(snap: RaftSnapshot): void {
    const idx = snapshotIndex(snap);
    this.store.restore(snap.data);
    this.applied = idx;
    this.lastSnapshotIndex = idx;
    this.stats.snapshotsInstalled++;
    this.proposals.failAll((i) => new RaftMemberError('LEADER_CHANGED', `entry ${i} was covered by a snapshot from the leader; outcome unknown`), idx);
    this.logger.info({ snapshotIndex: idx, term: snap.metadata?.term }, 'installed snapshot from the leader');
    this.tellVoters();
  }

  private applyEntry(e: RaftEntry): void {
    if (e.index <= this.applied) return;
    if (e.type === RaftEntryType.RAFT_ENTRY_CONF_CHANGE) {
      const cc = RaftConfChange.decode(e.data);
      const cs = this.node.applyConfChange(cc);
      this.store.apply(e.index, EMPTY);
      this.applied = e.index;
      this.logger.info({ index: e.index, change: cc.type, nodeId: cc.nodeId, voters: cs.voters, learners: cs.learners }, 'membership change applied');
      this.proposals.applied(e.index, e.term, {});
      this.tellVoters();
      return;
    }
    const result = this.store.apply(e.index, e.data);
    this.applied = e.index;
    // A leader turns a refused membership change into an empty entry (core, leaderPropose).
    this.proposals.applied(e.index, e.term, { result, confRefused: e.data.length === 0 });
  }

  /**
   * Every snapshotEvery applied entries: captures the store's current version (immutable, O(1))
   * and encodes and writes it in the background, sliced so heartbeats and appends keep flowing.
   * Only the short install step (rename, compaction) runs in the loop, in order with the appends.
   */
  private maybeStartSnapshot(): void {
    if (this.snapshotTask !== undefined || this.prepared !== undefined || this.stopped) return;
    if (this.applied - this.lastSnapshotIndex < this.opts.snapshotEvery || Date.now() < this.snapshotNotBefore) return;
    const index = this.applied;
    const term = this.storage.term(index);
    const confState = this.node.confState();
    const captured = this.store.captureSnapshot();
    if (captured.index !== index) throw new Error(`member ${this.id}: store at ${captured.index} but applied ${index}`);
    const startedAt = performance.now();
    this.snapshotTask = (async () => {
      const storePieces = await captured.encodePieces();
      const encodeMs = performance.now() - startedAt;
      // RaftSnapshot{metadata, data} is its metadata field followed by the data field's tag and
      // length, then the store bytes: written as pieces, never joined into one more copy.
      const storeBytes = storePieces.reduce((n, p) => n + p.length, 0);
      const head = RaftSnapshot.encode({ metadata: { index, term, confState }, data: EMPTY }).finish();
      const dataTag = lengthDelimitedTag(2, storeBytes);
      const prepared = await this.wal.prepareSnapshot({ index, term, pieces: [head, dataTag, ...storePieces] });
      // The in-memory log keeps the store bytes whole, to send to a follower that needs them.
      const data = await concatSliced(storePieces);
      if (this.stopped) {
        await this.wal.discardSnapshot(prepared);
        return;
      }
      this.prepared = { prepared, index, confState, data, bytes: head.length + dataTag.length + storeBytes, encodeMs, startedAt };
      this.kick();
    })()
      .catch((err: unknown) => {
        if (this.stopped) return;
        if (isNoSpace(err)) {
          this.snapshotNotBefore = Date.now() + 10 * this.opts.noSpaceRetryMs;
          this.logger.warn({ err, snapshotIndex: index, dataDir: this.opts.dataDir }, 'no space for a snapshot; the log keeps growing until there is');
        } else if (err instanceof WalUsageError && this.lastSnapshotIndex >= index) {
          this.logger.debug({ snapshotIndex: index }, 'a newer snapshot was installed while this one was written; dropped');
        } else {
          this.fail(err as Error);
        }
      })
      .finally(() => {
        this.snapshotTask = undefined;
      });
  }

  /** Store snapshot (prepared in the background) -> WAL snapshot -> trim the in-memory log and the WAL, keeping a tail. */
  private async installPreparedSnapshot(): Promise<void> {
    const p = this.prepared!;
    this.prepared = undefined;
    if (p.index <= this.lastSnapshotIndex) {
      // The leader's snapshot got here first.
      await this.wal.discardSnapshot(p.prepared);
      return;
    }
    if (this.durableHard.commit < p.index) {
      const hard = { ...this.latestHard };
      await this.durably('saving hard state before a snapshot', () => this.wal.save(encodeHardState(hard), []));
      if (this.stopped) return;
      this.durableHard = hard;
    }
    await this.wal.installSnapshot(p.prepared);
    const snap = this.storage.createSnapshot(p.index, p.confState, p.data);
    this.lastSnapshotIndex = p.index;
    this.stats.snapshotsTaken++;
    const compactTo = p.index - this.opts.keepEntriesAfterSnapshot;
    if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
    await this.wal.compact(p.index);
    const totalMs = performance.now() - p.startedAt;
    this.stats.lastSnapshot = { index: p.index, bytes: p.bytes, encodeMs: p.encodeMs, totalMs };
    this.logger.info(
      { snapshotIndex: p.index, term: snap.metadata!.term, bytes: p.bytes, encodeMs: Math.round(p.encodeMs), totalMs: Math.round(totalMs), firstIndex: this.storage.firstIndex() },
      'snapshot taken',
    );
  }
}

/** The tag and length varint that precede a length-delimited protobuf field of `length` bytes. */
function lengthDelimitedTag(field: number, length: number): Buffer {
  const out = [(field << 3) | 2];
  for (let v = length; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      break;
    }
    out.push((v % 128) | 128);
  }
  return Buffer.from(out);
}
