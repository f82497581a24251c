import { RaftConfChange, RaftEntryType, type RaftEntry, type RaftMessage } from '@flotilla/api';
import { MemoryStorage } from '../../src/core/memory-storage.js';
import { RaftNode } from '../../src/core/node.js';
import { SeededRng } from '../../src/core/rng.js';
import { isRaftError } from '../../src/core/errors.js';
import type { Ready, ReadState } from '../../src/core/types.js';
import { SafetyChecker } from './checker.js';
import { KvStateMachine, decodeOp } from './kv.js';
import { SimNetwork } from './network.js';

export interface SimOptions {
  seed: number;
  voters: number[];
  preVote?: boolean;
  checkQuorum?: boolean;
  electionTick?: number;
  heartbeatTick?: number;
  maxInflightMsgs?: number;
  maxInflightBytes?: number;
  maxSizePerMsg?: number;
  maxUncommittedEntriesSize?: number;
  /** Take a snapshot and compact when this many entries were applied since the last one (0: never). */
  snapshotEvery?: number;
  /** Entries kept behind a snapshot, so slightly lagging followers can still catch up by appends. */
  keepAfterSnapshot?: number;
  /** Sim time units per tick. */
  unitsPerTick?: number;
  /**
   * A deliberately broken member, to show the checks have teeth: its persisted hard state
   * loses the vote, so after a crash it can vote twice in one term.
   */
  forgetVoteOnCrash?: boolean;
  /**
   * Persist like an asynchronous driver: a Ready is often held for a few units while the
   * member keeps receiving messages, and is lost if the member crashes meanwhile.
   */
  asyncPersistence?: boolean;
}

/** One simulated machine: durable storage survives a crash, everything else does not. */
export interface SimMember {
  id: number;
  storage: MemoryStorage;
  node: RaftNode | undefined;
  sm: KvStateMachine;
  /** Sequence of entries applied since the last (re)start, for tests. */
  appliedLog: RaftEntry[];
  readStates: ReadState[];
  /** A Ready taken but not yet persisted (asyncPersistence), and when its write completes. */
  parked: { rd: Ready; at: number } | undefined;
  /** A Ready is being handled; re-entrant calls (a lost snapshot reported mid-send) wait for it. */
  busy: boolean;
}

export type ApplyListener = (member: number, e: RaftEntry, result: string | undefined) => void;

/**
 * A deterministic Raft cluster: N RaftNodes, a SimNetwork, a virtual clock, crashes that
 * keep only what was persisted, and safety checks after every event.
 */
export class SimCluster {
  readonly rng: SeededRng;
  readonly net: SimNetwork;
  readonly checker = new SafetyChecker();
  readonly members = new Map<number, SimMember>();
  now = 0;
  readonly opts: Required<SimOptions>;
  onApply: ApplyListener | undefined;
  onReadState: ((member: number, rs: ReadState) => void) | undefined;
  /** Sees every message a member hands to the network (after it persisted the Ready). */
  onSend: ((m: RaftMessage) => void) | undefined;
  private maxTermSeen = 0;
  private readonly asyncRng: SeededRng;

  constructor(opts: SimOptions) {
    this.opts = {
      preVote: true,
      checkQuorum: true,
      electionTick: 10,
      heartbeatTick: 1,
      maxInflightMsgs: 8,
      maxInflightBytes: 0,
      maxSizePerMsg: 4096,
      maxUncommittedEntriesSize: 0,
      snapshotEvery: 0,
      keepAfterSnapshot: 5,
      unitsPerTick: 4,
      forgetVoteOnCrash: false,
      asyncPersistence: false,
      ...opts,
    };
    this.rng = new SeededRng(opts.seed);
    this.net = new SimNetwork(this.rng.fork());
    this.asyncRng = this.rng.fork();
    for (const id of opts.voters) this.addMember(id, MemoryStorage.bootstrap(opts.voters));
  }

  /** Adds a machine. A joining member starts with empty storage and learns the configuration from the leader. */
  addMember(id: number, storage: MemoryStorage = new MemoryStorage()): SimMember {
    if (this.members.has(id)) throw new Error(`member ${id} already exists`);
    const m: SimMember = {
      id,
      storage,
      node: undefined,
      sm: new KvStateMachine(storage.initialState().confState),
      appliedLog: [],
      readStates: [],
      parked: undefined,
      busy: false,
    };
    this.members.set(id, m);
    this.start(m);
    return m;
  }

  private start(m: SimMember): void {
    const snap = m.storage.snapshot();
    const snapIdx = snap.metadata?.index ?? 0;
    m.sm = KvStateMachine.restore(snap.data, m.storage.initialState().confState);
    m.sm.appliedIndex = snapIdx;
    m.appliedLog = [];
    m.parked = undefined;
    m.node = new RaftNode({
      id: m.id,
      storage: m.storage,
      electionTick: this.opts.electionTick,
      heartbeatTick: this.opts.heartbeatTick,
      rng: this.rng.fork(),
      applied: snapIdx,
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      maxInflightMsgs: this.opts.maxInflightMsgs,
      maxInflightBytes: this.opts.maxInflightBytes,
      maxSizePerMsg: this.opts.maxSizePerMsg,
      maxUncommittedEntriesSize: this.opts.maxUncommittedEntriesSize,
    });
  }

  member(id: number): SimMember {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  live(): SimMember[] {
    return [...this.members.values()].filter((m) => m.node !== undefined);
  }

  /** Loses everything not yet persisted: the RaftNode, unstable entries, the state machine. */
  crash(id: number): void {
    const m = this.member(id);
    m.node = undefined;
    m.parked = undefined; // a write in progress never reached the disk
  }

  restart(id: number): void {
    const m = this.member(id);
    if (m.node !== undefined) throw new Error(`member ${id} is running`);
    this.start(m);
    this.process(m);
  }

  /** The live leader with the highest term, if any. */
  leader(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const m of this.live()) {
      const s = m.node!.raft;
      if (s.role === 'leader' && (best === undefined || s.term > best.node!.raft.term)) best = m;
    }
    return best;
  }

  /** Proposes on member id; false if the member is down or dropped the proposal. */
  propose(id: number, data: Buffer): boolean {
    const node = this.members.get(id)?.node;
    if (node === undefined) return false;
    try {
      node.propose(data);
    } catch (e) {
      if (isRaftError(e, 'proposal-dropped')) return false;
      throw e;
    }
    this.process(this.member(id));
    return true;
  }

  proposeConfChange(id: number, cc: RaftConfChange): boolean {
    const node = this.members.get(id)?.node;
    if (node === undefined) return false;
    try {
      node.proposeConfChange(cc);
    } catch (e) {
      if (isRaftError(e, 'proposal-dropped') || isRaftError(e, 'conf-change-rejected')) return false;
      throw e;
    }
    this.process(this.member(id));
    return true;
  }

  /** Runs `f` on a live member's node, then handles what it produced. */
  withNode(id: number, f: (n: RaftNode) => void): boolean {
    const m = this.members.get(id);
    if (m?.node === undefined) return false;
    f(m.node);
    this.process(m);
    return true;
  }

  /** Advances the clock one unit: ticks (on tick boundaries), delivers due messages, checks safety. */
  step(): void {
    this.now++;
    for (const m of this.live()) {
      if (m.parked !== undefined && m.parked.at <= this.now) {
        const rd = m.parked.rd;
        m.parked = undefined;
        this.handleReady(m, m.node!, rd);
        this.process(m);
      }
    }
    if (this.now % this.opts.unitsPerTick === 0) {
      for (const m of this.live()) {
        m.node!.tick();
        this.process(m);
      }
    }
    for (const msg of this.net.due(this.now, (lost) => this.lost(lost))) this.deliver(msg);
    this.checkLeaders();
  }

  runTicks(ticks: number): void {
    for (let i = 0; i < ticks * this.opts.unitsPerTick; i++) this.step();
  }

  /** Steps until cond holds; false if it did not within maxTicks. */
  runUntil(cond: () => boolean, maxTicks: number): boolean {
    for (let i = 0; i < maxTicks * this.opts.unitsPerTick; i++) {
      if (cond()) return true;
      this.step();
    }
    return cond();
  }

  private deliver(msg: RaftMessage): void {
    const to = this.members.get(msg.to);
    if (to?.node === undefined) {
      this.lost(msg);
      return;
    }
    if (msg.snapshot !== undefined) this.members.get(msg.from)?.node?.reportSnapshot(msg.to, true);
    to.node.step(msg);
    this.process(to);
    const from = this.members.get(msg.from);
    if (from?.node !== undefined && msg.snapshot !== undefined) this.process(from);
  }

  private lost(msg: RaftMessage): void {
    const from = this.members.get(msg.from);
    if (from?.node === undefined || msg.snapshot === undefined) return;
    from.node.reportSnapshot(msg.to, false);
    this.process(from);
  }

  /** Handles every Ready of a member the way a real server must: persist, send, apply, advance. */
  process(m: SimMember): void {
    const node = m.node;
    if (node === undefined) return;
    if (m.busy) return;
    while (m.parked === undefined && node.hasReady()) {
      const rd = node.ready();
      if (this.opts.asyncPersistence && this.asyncRng.chance(0.5)) {
        m.parked = { rd, at: this.now + 1 + this.asyncRng.intn(4) };
        return;
      }
      this.handleReady(m, node, rd);
    }
  }

  private handleReady(m: SimMember, node: RaftNode, rd: Ready): void {
    m.busy = true;
    try {
      this.performReady(m, node, rd);
    } finally {
      m.busy = false;
    }
  }

  private performReady(m: SimMember, node: RaftNode, rd: Ready): void {
    if (rd.snapshot !== undefined) {
      m.storage.applySnapshot(rd.snapshot);
      m.sm = KvStateMachine.restore(rd.snapshot.data, rd.snapshot.metadata?.confState ?? { voters: [], learners: [] });
      m.sm.appliedIndex = rd.snapshot.metadata?.index ?? 0;
    }
    if (rd.entries.length > 0) {
      m.storage.append(rd.entries);
      for (const e of rd.entries) {
        let prevTerm = -1;
        try {
          prevTerm = m.storage.term(e.index - 1);
        } catch {
          // compacted: nothing to compare
        }
        this.checker.persisted(m.id, e, prevTerm);
      }
    }
    if (rd.hardState !== undefined) {
      m.storage.setHardState(this.opts.forgetVoteOnCrash ? { ...rd.hardState, vote: 0 } : rd.hardState);
    }
    if (rd.softState?.role === 'leader' && node.raft.role === 'leader') this.checkNewLeader(m);
    for (const msg of rd.messages) this.onSend?.(msg);
    for (const msg of rd.messages) this.net.send(msg, this.now, (lost) => this.lost(lost));
    for (const e of rd.committedEntries) this.apply(m, node, e);
    for (const rs of rd.readStates) {
      m.readStates.push(rs);
      this.onReadState?.(m.id, rs);
    }
    node.advance();
    this.maybeCompact(m, node);
  }

  private apply(m: SimMember, node: RaftNode, e: RaftEntry): void {
    this.checker.appliedEntry(m.id, e);
    m.appliedLog.push(e);
    m.sm.appliedIndex = e.index;
    let result: string | undefined;
    if (e.type === RaftEntryType.RAFT_ENTRY_CONF_CHANGE) {
      m.sm.confState = node.applyConfChange(RaftConfChange.decode(e.data));
    } else {
      const op = decodeOp(e.data);
      if (op !== undefined) result = m.sm.apply(op);
    }
    this.onApply?.(m.id, e, result);
  }

  private maybeCompact(m: SimMember, node: RaftNode): void {
    const every = this.opts.snapshotEvery;
    if (every <= 0) return;
    const snapIdx = m.storage.snapshot().metadata?.index ?? 0;
    const applied = m.sm.appliedIndex;
    if (applied - snapIdx < every || applied > m.storage.lastIndex()) return;
    m.storage.createSnapshot(applied, node.confState(), m.sm.snapshot());
    const compactTo = applied - this.opts.keepAfterSnapshot;
    if (compactTo > m.storage.firstIndex()) m.storage.compact(compactTo);
  }

  private checkNewLeader(m: SimMember): void {
    const r = m.node!.raft;
    this.checker.leader(m.id, r.term);
    this.checker.newLeader(m.id, r.term, r.raftLog.firstIndex(), r.raftLog.lastIndex(), (i) => {
      const t = r.raftLog.termOrZero(i);
      return t === 0 ? undefined : t;
    });
  }

  private checkLeaders(): void {
    for (const m of this.live()) {
      const r = m.node!.raft;
      if (r.role === 'leader') this.checker.leader(m.id, r.term);
      if (r.term > this.maxTermSeen) this.maxTermSeen = r.term;
    }
  }

  maxTerm(): number {
    return this.maxTermSeen;
  }
}

/** Payloads of the normal, non-empty entries a member applied since it (re)started, as text. */
export function appliedPayloads(m: SimMember): string[] {
  return m.appliedLog.filter((e) => e.type === RaftEntryType.RAFT_ENTRY_NORMAL && e.data.length > 0).map((e) => e.data.toString());
}
