import {
  RaftConfChange,
  RaftEntryType,
  RaftMessageType as T,
  type RaftConfState,
  type RaftEntry,
  type RaftHardState,
  type RaftMessage,
} from '@flotilla/api';
import { confChangeProblem } from './conf-change.js';
import type { RaftConfig } from './config.js';
import { RaftError, isRaftError } from './errors.js';
import { Raft } from './raft.js';
import {
  NONE,
  hardStateEqual,
  isLocalMessage,
  isResponseMessage,
  message,
  snapshotIndex,
  type Ready,
  type SoftState,
  type Status,
} from './types.js';

/**
 * The application's handle on one Raft member. Single-threaded and synchronous: drive it
 * with tick()/step()/propose(), then drain work with ready() and confirm it with advance().
 * Creating a RaftNode over a storage that already holds state is a restart.
 */
export class RaftNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: RaftHardState;
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = this.softState();
    this.prevHard = this.raft.hardState();
  }

  get id(): number {
    return this.raft.id;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (used to bootstrap quickly or in tests). */
  campaign(): void {
    this.raft.step(message({ type: T.RAFT_MSG_HUP, from: this.id }));
  }

  /**
   * Proposes one or more entries in a single batch. Throws RaftError('proposal-dropped')
   * when no leader is known or this member is transferring leadership; the caller retries.
   * A proposal that is not dropped may still be lost (leader change); only its appearance
   * among committed entries means it happened.
   */
  propose(...data: Uint8Array[]): void {
    if (data.length === 0) throw new RaftError('invalid-argument', `member ${this.id}: propose needs at least one entry`);
    const entries = data.map((d) => entry(RaftEntryType.RAFT_ENTRY_NORMAL, Buffer.from(d)));
    this.raft.step(message({ type: T.RAFT_MSG_PROP, from: this.id, entries }));
  }

  /** Proposes a membership change; it takes effect when its entry is applied and applyConfChange is called. */
  proposeConfChange(cc: RaftConfChange): void {
    const r = this.raft;
    if (r.role === 'leader') {
      if (r.pendingConfIndex > r.raftLog.applied) {
        throw new RaftError('conf-change-rejected', `member ${this.id}: conf change at ${r.pendingConfIndex} is not applied yet`);
      }
      const problem = confChangeProblem(r.trk.confState(), cc);
      if (problem !== undefined) throw new RaftError('conf-change-rejected', `member ${this.id}: ${problem}`);
    }
    const data = Buffer.from(RaftConfChange.encode(cc).finish());
    this.raft.step(message({ type: T.RAFT_MSG_PROP, from: this.id, entries: [entry(RaftEntryType.RAFT_ENTRY_CONF_CHANGE, data)] }));
  }

  /** Call for every committed conf-change entry as it is applied, in log order. */
  applyConfChange(cc: RaftConfChange): RaftConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Feeds a message from a peer. Local-only message types are refused; answers from
   * members not in the configuration and proposals that cannot be taken are ignored.
   */
  step(m: RaftMessage): void {
    if (isLocalMessage(m.type)) {
      throw new RaftError('step-local-message', `member ${this.id}: ${m.type} may not come from the network`);
    }
    if (m.to !== this.id) {
      throw new RaftError('invalid-argument', `member ${this.id}: got a ${m.type} addressed to member ${m.to}`);
    }
    if (isResponseMessage(m.type) && !this.raft.trk.progress.has(m.from)) return;
    try {
      this.raft.step(m);
    } catch (e) {
      if (isRaftError(e, 'proposal-dropped')) return;
      throw e;
    }
  }

  /**
   * Asks for a linearizable read point. When confirmed, a ReadState with this ctx and a
   * commit index appears in a later Ready; serve the read once that index is applied.
   */
  readIndex(ctx: Uint8Array): void {
    const data = Buffer.from(ctx);
    this.raft.step(message({ type: T.RAFT_MSG_READ_INDEX, from: NONE, entries: [entry(RaftEntryType.RAFT_ENTRY_NORMAL, data)] }));
  }

  /** Asks the leader to hand leadership to `transferee` (which must be a voter). */
  transferLeadership(transferee: number): void {
    this.raft.step(message({ type: T.RAFT_MSG_TRANSFER_LEADER, from: transferee }));
  }

  /** The transport failed to deliver to `id`; stop streaming to it until it answers. */
  reportUnreachable(id: number): void {
    this.raft.step(message({ type: T.RAFT_MSG_UNREACHABLE, from: id }));
  }

  /** The transport's outcome of sending a snapshot to `id`. */
  reportSnapshot(id: number, delivered: boolean): void {
    this.raft.step(message({ type: T.RAFT_MSG_SNAP_STATUS, from: id, reject: !delivered }));
  }

  status(): Status {
    const r = this.raft;
    const progress: Status['progress'] = new Map();
    if (r.role === 'leader') {
      for (const [id, pr] of r.trk.progress) {
        progress.set(id, { match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive });
      }
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.raftLog.committed,
      applied: r.raftLog.applied,
      lead: r.lead,
      role: r.role,
      leadTransferee: r.leadTransferee,
      progress,
    };
  }

  confState(): RaftConfState {
    return this.raft.trk.confState();
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    return (
      soft.lead !== this.prevSoft.lead ||
      soft.role !== this.prevSoft.role ||
      !hardStateEqual(r.hardState(), this.prevHard) ||
      r.raftLog.hasPendingSnapshot() ||
      r.raftLog.unstableEntries().length > 0 ||
      r.msgs.length > 0 ||
      r.proposalsToSend ||
      r.readStates.length > 0 ||
      r.raftLog.hasNextCommittedEntries()
    );
  }

  /** The next batch of work; see Ready for the order the caller must follow. */
  ready(): Ready {
    if (this.outstanding !== undefined) {
      throw new RaftError('ready-not-advanced', `member ${this.id}: advance() the previous Ready before asking for another`);
    }
    const r = this.raft;
    r.flushProposals();
    const rd: Ready = {
      entries: [...r.raftLog.unstableEntries()],
      committedEntries: r.raftLog.nextCommittedEntries(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: false,
    };
    r.msgs = [];
    r.readStates = [];
    const soft = this.softState();
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) rd.softState = soft;
    const hard = r.hardState();
    if (!hardStateEqual(hard, this.prevHard)) rd.hardState = hard;
    const snap = r.raftLog.unstable.snapshot;
    if (snap !== undefined) rd.snapshot = snap;
    rd.mustSync =
      rd.entries.length > 0 || snap !== undefined || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    this.outstanding = rd;
    return rd;
  }

  /** The last Ready has been persisted, sent and applied. */
  advance(): void {
    const rd = this.outstanding;
    if (rd === undefined) return;
    this.outstanding = undefined;
    const log = this.raft.raftLog;
    if (rd.softState !== undefined) this.prevSoft = rd.softState;
    if (rd.hardState !== undefined) this.prevHard = rd.hardState;
    if (rd.snapshot !== undefined) {
      const idx = snapshotIndex(rd.snapshot);
      log.stableSnapTo(idx);
      if (idx > log.applied) log.applied = idx;
    }
    const lastEnt = rd.entries[rd.entries.length - 1];
    if (lastEnt !== undefined) log.stableTo(lastEnt.index, lastEnt.term);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) log.appliedTo(lastCommitted.index);
    this.raft.reduceUncommittedSize(rd.committedEntries);
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.role };
  }
}

function entry(type: RaftEntryType, data: Buffer): RaftEntry {
  return { term: 0, index: 0, type, data };
}
