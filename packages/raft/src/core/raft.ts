import {
  RaftConfChange,
  RaftEntryType,
  RaftMessageType as T,
  type RaftConfState,
  type RaftEntry,
  type RaftHardState,
  type RaftMessage,
  type RaftSnapshot,
} from '@flotilla/api';
import { applyConfChangeTo, confChangeProblem } from './conf-change.js';
import { resolveConfig, type RaftConfig, type ResolvedRaftConfig } from './config.js';
import { RaftError, isRaftError } from './errors.js';
import { RaftLog } from './log.js';
import type { Progress } from './progress.js';
import { ReadOnly } from './read-only.js';
import { ProgressTracker } from './tracker.js';
import {
  EMPTY,
  NONE,
  entrySize,
  isEmptyHardState,
  isEmptySnapshot,
  message,
  snapshotIndex,
  snapshotTerm,
  voteResponseType,
  type RaftRole,
  type ReadState,
} from './types.js';

type CampaignType = 'pre-election' | 'election' | 'transfer';

/** Marks a vote request caused by leader transfer, so voters ignore their leader lease. */
const CAMPAIGN_TRANSFER = Buffer.from('CampaignTransfer');

/**
 * The Raft state machine: no clocks, sockets or files. Time advances by tick(); input
 * arrives by step(); output accumulates in `msgs`, `readStates` and the log's unstable part,
 * which RaftNode hands out as Ready batches.
 */
export class Raft {
  readonly id: number;
  readonly cfg: ResolvedRaftConfig;
  term = 0;
  vote = NONE;
  lead = NONE;
  role: RaftRole = 'follower';
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  msgs: RaftMessage[] = [];
  readStates: ReadState[] = [];
  /** Index of the newest conf change in the log; another may only be proposed once it is applied. */
  pendingConfIndex = 0;
  leadTransferee = NONE;
  /** Payload bytes this leader accepted and has not yet seen committed and handed out. */
  uncommittedSize = 0;
  /** Proposals were appended but not yet sent to followers. */
  proposalsToSend = false;
  private readOnly = new ReadOnly();
  /** Read requests that reached a leader before it committed an entry of its own term. */
  private pendingReadIndexMessages: RaftMessage[] = [];
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.raftLog = new RaftLog(this.cfg.storage, this.cfg.maxCommittedSizePerReady);
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.trk.reset(confState, this.raftLog.lastIndex() + 1);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (this.cfg.applied > 0) this.raftLog.appliedTo(Math.min(this.cfg.applied, this.raftLog.committed));
    this.becomeFollower(this.term, NONE);
  }

  hardState(): RaftHardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  private loadState(hs: RaftHardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new RaftError(
        'invalid-argument',
        `member ${this.id}: stored commit ${hs.commit} is outside [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // ---- outgoing messages -------------------------------------------------------------

  private send(m: RaftMessage): void {
    if (m.from === NONE) m.from = this.id;
    const isVoteKind = m.type === T.RAFT_MSG_VOTE || m.type === T.RAFT_MSG_VOTE_RESP || m.type === T.RAFT_MSG_PRE_VOTE || m.type === T.RAFT_MSG_PRE_VOTE_RESP;
    if (isVoteKind) {
      if (m.term === 0) throw new Error(`raft invariant: ${m.type} sent without a term`);
    } else {
      if (m.term !== 0) throw new Error(`raft invariant: ${m.type} sent with term ${m.term} preset`);
      // Forwarded proposals and read requests stay term-less: they are local requests on the leader.
      if (m.type !== T.RAFT_MSG_PROP && m.type !== T.RAFT_MSG_READ_INDEX) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends an append (or a snapshot) to `to` if its progress allows; true if something was sent. */
  private maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: RaftEntry[];
    try {
      prevTerm = this.raftLog.term(prevIndex);
      ents = this.raftLog.entries(pr.next, this.cfg.maxSizePerMsg);
    } catch (e) {
      if (isRaftError(e, 'compacted')) return this.maybeSendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send(message({ type: T.RAFT_MSG_APP, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed }));
    let bytes = 0;
    for (const e of ents) bytes += entrySize(e);
    pr.sentEntries(ents.length, bytes, prevIndex + ents.length);
    return true;
  }

  private sendAppend(to: number): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendSnapshot(to: number, pr: Progress): boolean {
    // A member we have not heard from lately may be down; a snapshot is too big to send blind.
    if (!pr.recentActive) return false;
    let snap: RaftSnapshot;
    try {
      snap = this.raftLog.snapshot();
    } catch (e) {
      if (isRaftError(e, 'snapshot-temporarily-unavailable')) return false;
      throw e;
    }
    if (isEmptySnapshot(snap)) throw new Error(`raft invariant: log of ${this.id} is compacted but there is no snapshot`);
    this.send(message({ type: T.RAFT_MSG_SNAP, to, snapshot: snap }));
    pr.becomeSnapshot(snapshotIndex(snap));
    return true;
  }

  private sendHeartbeat(to: number, ctx: Buffer): void {
    const pr = this.trk.progress.get(to);
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr?.match ?? 0, this.raftLog.committed);
    this.send(message({ type: T.RAFT_MSG_HEARTBEAT, to, commit, context: ctx }));
  }

  private forEachPeer(f: (id: number, pr: Progress) => void): void {
    for (const [id, pr] of this.trk.progress) if (id !== this.id) f(id, pr);
  }

  private bcastAppend(): void {
    this.forEachPeer((id) => this.sendAppend(id));
  }

  private bcastHeartbeat(ctx?: Buffer): void {
    const c = ctx ?? this.readOnly.lastPendingRequestCtx() ?? EMPTY;
    this.forEachPeer((id) => this.sendHeartbeat(id, c));
  }

  // ---- role changes ------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + this.cfg.rng.intn(this.cfg.electionTick);
    this.leadTransferee = NONE;
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, old] of this.trk.progress) {
      const pr = this.trk.newProgress(last + 1, old.isLearner);
      if (id === this.id) pr.match = last;
      this.trk.progress.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.proposalsToSend = false;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new Error('raft invariant: leader cannot become pre-candidate');
    // Neither term nor vote changes: a pre-election must leave no trace if it fails.
    this.trk.resetVotes();
    this.lead = NONE;
    this.role = 'pre-candidate';
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new Error('raft invariant: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new Error('raft invariant: follower cannot become leader directly');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conf changes may still sit uncommitted in the log; refuse new ones until those apply.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An entry of our own term: committing it commits everything before it (Raft §5.4.2).
    this.appendEntry([{ term: 0, index: 0, type: RaftEntryType.RAFT_ENTRY_NORMAL, data: EMPTY }]);
  }

  // ---- time --------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: T.RAFT_MSG_HUP, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(message({ type: T.RAFT_MSG_CHECK_QUORUM, from: this.id }));
      // A transfer that has not finished within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: T.RAFT_MSG_BEAT, from: this.id }));
    }
  }

  /** Whether this member may become leader: a voter, not waiting on a snapshot. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  // ---- elections ---------------------------------------------------------------------

  private hup(t: CampaignType): void {
    if (this.role === 'leader' || !this.promotable()) return;
    // Our configuration may be about to change; campaigning on a stale one is unsafe.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex());
    const hi = this.raftLog.committed + 1;
    if (lo >= hi) return false;
    return this.raftLog.slice(lo, hi, Number.MAX_SAFE_INTEGER).some((e) => e.type === RaftEntryType.RAFT_ENTRY_CONF_CHANGE);
  }

  private campaign(t: CampaignType): void {
    let voteType: T;
    let term: number;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteType = T.RAFT_MSG_PRE_VOTE;
      term = this.term + 1; // the term we would stand in, without moving to it yet
    } else {
      this.becomeCandidate();
      voteType = T.RAFT_MSG_VOTE;
      term = this.term;
    }
    this.trk.recordVote(this.id, true);
    if (this.trk.tallyVotes().result === 'won') {
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of [...this.trk.voters].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      this.send(
        message({ type: voteType, to: id, term, index: lastIndex, logTerm: lastTerm, context: t === 'transfer' ? CAMPAIGN_TRANSFER : EMPTY }),
      );
    }
  }

  // ---- input -------------------------------------------------------------------------

  /** Feeds one message in. Throws RaftError('proposal-dropped') when a proposal or read cannot be taken. */
  step(m: RaftMessage): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === T.RAFT_MSG_VOTE || m.type === T.RAFT_MSG_PRE_VOTE) {
        const force = m.context.equals(CAMPAIGN_TRANSFER);
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTick;
        // We heard from a live leader within the minimum election timeout: this candidate is
        // a disruptor (partitioned and rejoining), not a replacement.
        if (!force && inLease) return;
      }
      if (m.type === T.RAFT_MSG_PRE_VOTE) {
        // Never move our term for a pre-vote.
      } else if (m.type === T.RAFT_MSG_PRE_VOTE_RESP && !m.reject) {
        // A granted pre-vote carries the future term; we move to it only by campaigning.
      } else if (m.type === T.RAFT_MSG_APP || m.type === T.RAFT_MSG_HEARTBEAT || m.type === T.RAFT_MSG_SNAP) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === T.RAFT_MSG_HEARTBEAT || m.type === T.RAFT_MSG_APP)) {
        // A stale leader cut off from the rest: our higher term in the answer makes it step down.
        this.send(message({ type: T.RAFT_MSG_APP_RESP, to: m.from }));
      } else if (m.type === T.RAFT_MSG_PRE_VOTE) {
        this.send(message({ type: T.RAFT_MSG_PRE_VOTE_RESP, to: m.from, term: this.term, reject: true }));
      }
      return;
    }

    switch (m.type) {
      case T.RAFT_MSG_HUP:
        this.hup(this.cfg.preVote ? 'pre-election' : 'election');
        return;
      case T.RAFT_MSG_VOTE:
      case T.RAFT_MSG_PRE_VOTE:
        this.handleVoteRequest(m);
        return;
    }
    if (this.role === 'leader') this.stepLeader(m);
    else if (this.role === 'follower') this.stepFollower(m);
    else this.stepCandidate(m);
  }

  private handleVoteRequest(m: RaftMessage): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === T.RAFT_MSG_PRE_VOTE && m.term > this.term);
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // Answer with the request's term so a pre-candidate can tell its answers apart.
      this.send(message({ type: voteResponseType(m.type), to: m.from, term: m.term }));
      if (m.type === T.RAFT_MSG_VOTE) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: voteResponseType(m.type), to: m.from, term: this.term, reject: true }));
    }
  }

  private stepCandidate(m: RaftMessage): void {
    const myVoteResp = this.role === 'pre-candidate' ? T.RAFT_MSG_PRE_VOTE_RESP : T.RAFT_MSG_VOTE_RESP;
    switch (m.type) {
      case T.RAFT_MSG_PROP:
        throw new RaftError('proposal-dropped', `member ${this.id} is campaigning in term ${this.term}; no leader to take the proposal`);
      case T.RAFT_MSG_READ_INDEX:
        throw new RaftError('proposal-dropped', `member ${this.id} is campaigning in term ${this.term}; no leader to serve the read`);
      case T.RAFT_MSG_APP:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case T.RAFT_MSG_HEARTBEAT:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case T.RAFT_MSG_SNAP:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myVoteResp: {
        this.trk.recordVote(m.from, !m.reject);
        const { result } = this.trk.tallyVotes();
        if (result === 'won') {
          if (this.role === 'pre-candidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
    }
  }

  private stepFollower(m: RaftMessage): void {
    switch (m.type) {
      case T.RAFT_MSG_PROP:
        if (this.lead === NONE) throw new RaftError('proposal-dropped', `member ${this.id} knows no leader in term ${this.term}`);
        if (this.cfg.disableProposalForwarding) {
          throw new RaftError('proposal-dropped', `member ${this.id} is not the leader and does not forward proposals`);
        }
        this.send({ ...m, to: this.lead });
        return;
      case T.RAFT_MSG_APP:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case T.RAFT_MSG_HEARTBEAT:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case T.RAFT_MSG_SNAP:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case T.RAFT_MSG_TRANSFER_LEADER:
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case T.RAFT_MSG_TIMEOUT_NOW:
        this.hup('transfer');
        return;
      case T.RAFT_MSG_READ_INDEX:
        if (this.lead === NONE) throw new RaftError('proposal-dropped', `member ${this.id} knows no leader to serve the read`);
        this.send({ ...m, to: this.lead });
        return;
      case T.RAFT_MSG_READ_INDEX_RESP: {
        const ctx = m.entries[0];
        if (m.entries.length !== 1 || ctx === undefined) return;
        this.readStates.push({ index: m.index, requestCtx: ctx.data });
        return;
      }
    }
  }

  private stepLeader(m: RaftMessage): void {
    switch (m.type) {
      case T.RAFT_MSG_BEAT:
        this.bcastHeartbeat();
        return;
      case T.RAFT_MSG_CHECK_QUORUM:
        if (!this.trk.quorumActive(this.id)) this.becomeFollower(this.term, NONE);
        this.forEachPeer((_, pr) => {
          pr.recentActive = false;
        });
        return;
      case T.RAFT_MSG_PROP:
        this.leaderPropose(m);
        return;
      case T.RAFT_MSG_READ_INDEX:
        this.leaderReadIndex(m);
        return;
    }
    const pr = this.trk.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case T.RAFT_MSG_APP_RESP:
        this.handleAppendResponse(m, pr);
        return;
      case T.RAFT_MSG_HEARTBEAT_RESP:
        this.handleHeartbeatResponse(m, pr);
        return;
      case T.RAFT_MSG_SNAP_STATUS:
        if (pr.state !== 'snapshot') return;
        // Success or failure, go back to probing; on success probing starts after the snapshot.
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for the follower's answer (or a heartbeat answer) before the next append.
        pr.msgAppFlowPaused = true;
        return;
      case T.RAFT_MSG_UNREACHABLE:
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      case T.RAFT_MSG_TRANSFER_LEADER:
        this.leaderTransfer(m.from, pr);
        return;
    }
  }

  private leaderPropose(m: RaftMessage): void {
    if (m.entries.length === 0) throw new RaftError('invalid-argument', `member ${this.id}: proposal without entries`);
    if (!this.trk.progress.has(this.id)) {
      throw new RaftError('proposal-dropped', `member ${this.id} was removed from the configuration and cannot take proposals`);
    }
    if (this.leadTransferee !== NONE) {
      throw new RaftError('proposal-dropped', `member ${this.id} is transferring leadership to ${this.leadTransferee}`);
    }
    const size = m.entries.reduce((n, e) => n + e.data.length, 0);
    const cap = this.cfg.maxUncommittedEntriesSize;
    // Always take a proposal when nothing is outstanding, so one large entry cannot be stuck forever.
    if (cap > 0 && this.uncommittedSize > 0 && this.uncommittedSize + size > cap) {
      throw new RaftError(
        'proposal-dropped',
        `member ${this.id}: ${this.uncommittedSize} bytes of proposals are not committed yet (limit ${cap})`,
      );
    }
    this.uncommittedSize += size;
    const ents = m.entries.map((e, i) => {
      if (e.type !== RaftEntryType.RAFT_ENTRY_CONF_CHANGE) return e;
      const cc = RaftConfChange.decode(e.data);
      const refused =
        this.pendingConfIndex > this.raftLog.applied ? 'another conf change is pending' : confChangeProblem(this.trk.confState(), cc);
      // A refused change becomes an empty entry, so the rest of the batch keeps its place.
      if (refused !== undefined) return { ...e, type: RaftEntryType.RAFT_ENTRY_NORMAL, data: EMPTY };
      this.pendingConfIndex = this.raftLog.lastIndex() + i + 1;
      return e;
    });
    this.appendEntry(ents);
    // Appends go out when the application next takes a Ready, so proposals made in between
    // share one message per follower instead of one each.
    this.proposalsToSend = true;
  }

  /** Committed entries were handed to the application: they no longer count as uncommitted. */
  reduceUncommittedSize(ents: RaftEntry[]): void {
    if (this.role !== 'leader') return;
    // Only entries of our term were counted: earlier leaders' entries were never ours.
    for (const e of ents) if (e.term === this.term) this.uncommittedSize -= e.data.length;
    if (this.uncommittedSize < 0) this.uncommittedSize = 0;
  }

  /** Sends appends for proposals accepted since the last call (RaftNode does this in ready()). */
  flushProposals(): void {
    if (!this.proposalsToSend) return;
    this.proposalsToSend = false;
    if (this.role === 'leader') this.bcastAppend();
  }

  private leaderReadIndex(m: RaftMessage): void {
    if (m.entries.length !== 1) throw new RaftError('invalid-argument', `member ${this.id}: read index needs exactly one context entry`);
    if (this.trk.isSingleton()) {
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    // Until an entry of our term commits, our commit index may lag the real one (§6.4).
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    this.startReadIndex(m);
  }

  private startReadIndex(m: RaftMessage): void {
    const ctx = m.entries[0]!.data;
    this.readOnly.addRequest(this.raftLog.committed, m);
    this.readOnly.recvAck(this.id, ctx);
    this.bcastHeartbeat(ctx);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  private respondToReadIndex(req: RaftMessage, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.entries[0]!.data });
      return;
    }
    this.send(message({ type: T.RAFT_MSG_READ_INDEX_RESP, to: req.from, index, entries: req.entries }));
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.startReadIndex(m);
  }

  private handleAppendResponse(m: RaftMessage, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // The follower told us its last index (or a guess) and that entry's term; skip every
      // entry of ours with a larger term, since none of them can match.
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.raftLog.firstIndex()) {
      // The follower caught up through the snapshot; appends can take it from here.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (wasPaused) {
      this.sendAppend(m.from);
    }
    while (this.maybeSendAppend(m.from, false)) {
      // keep the pipeline full
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.send(message({ type: T.RAFT_MSG_TIMEOUT_NOW, to: m.from }));
    }
  }

  private handleHeartbeatResponse(m: RaftMessage, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    // Appends to this follower may have been lost with the window full; free one slot so the
    // next append goes out, and a gap, if any, shows up as a rejection.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
    if (pr.match < this.raftLog.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
    if (m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined) return;
    let granted = 0;
    for (const id of this.trk.voters) if (acks.has(id)) granted++;
    if (granted < Math.floor(this.trk.voters.size / 2) + 1) return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
  }

  private leaderTransfer(transferee: number, pr: Progress): void {
    if (pr.isLearner) return;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.leadTransferee = NONE;
    }
    if (transferee === this.id) return;
    // The transfer must finish within an election timeout; count from now.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.raftLog.lastIndex()) this.send(message({ type: T.RAFT_MSG_TIMEOUT_NOW, to: transferee }));
    else this.sendAppend(transferee);
  }

  private appendEntry(es: RaftEntry[]): void {
    let li = this.raftLog.lastIndex();
    const ents = es.map((e) => ({ ...e, term: this.term, index: ++li }));
    li = this.raftLog.append(ents);
    this.trk.progress.get(this.id)?.maybeUpdate(li);
    this.maybeCommit();
  }

  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  // ---- follower handlers -------------------------------------------------------------

  private handleAppendEntries(m: RaftMessage): void {
    if (m.index < this.raftLog.committed) {
      this.send(message({ type: T.RAFT_MSG_APP_RESP, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const last = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== undefined) {
      this.send(message({ type: T.RAFT_MSG_APP_RESP, to: m.from, index: last }));
      return;
    }
    // Tell the leader the newest entry we have at or before its probe whose term is not
    // above the probe's term: everything after it up to m.index surely mismatches.
    const hintIndex = Math.min(m.index, this.raftLog.lastIndex());
    const hint = this.raftLog.findConflictByTerm(hintIndex, m.logTerm);
    this.send(message({ type: T.RAFT_MSG_APP_RESP, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }));
  }

  private handleHeartbeat(m: RaftMessage): void {
    this.raftLog.commitTo(m.commit);
    this.send(message({ type: T.RAFT_MSG_HEARTBEAT_RESP, to: m.from, context: m.context }));
  }

  private handleSnapshot(m: RaftMessage): void {
    if (m.snapshot === undefined) return;
    if (this.restore(m.snapshot)) {
      this.send(message({ type: T.RAFT_MSG_APP_RESP, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(message({ type: T.RAFT_MSG_APP_RESP, to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Installs a snapshot from the leader; false if it brings nothing new. */
  private restore(s: RaftSnapshot): boolean {
    const idx = snapshotIndex(s);
    if (idx <= this.raftLog.committed) return false;
    if (this.role !== 'follower') {
      // Only followers take snapshots; anything else means we missed a leader's term.
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    // The snapshot's configuration may predate this member's addition (a leader sends its
    // latest snapshot, not a fresh one); the member then learns of itself from the entries
    // that follow, so it must not refuse the snapshot, or it could never catch up.
    const cs = s.metadata?.confState ?? { voters: [], learners: [] };
    if (this.raftLog.matchTerm(idx, snapshotTerm(s))) {
      // We already hold the snapshot's last entry: just fast-forward commit.
      this.raftLog.commitTo(idx);
      return false;
    }
    this.raftLog.restore(s);
    this.switchToConfig(cs);
    return true;
  }

  // ---- configuration -----------------------------------------------------------------

  /** Applies a committed conf change (call when applying its entry); returns the new configuration. */
  applyConfChange(cc: RaftConfChange): RaftConfState {
    const cs = applyConfChangeTo(this.trk.confState(), cc);
    this.switchToConfig(cs);
    return cs;
  }

  private switchToConfig(cs: RaftConfState): void {
    const next = this.raftLog.lastIndex() + 1;
    const members = new Set([...cs.voters, ...cs.learners]);
    for (const id of members) {
      const isLearner = !cs.voters.includes(id);
      const pr = this.trk.progress.get(id);
      if (pr !== undefined) {
        pr.isLearner = isLearner;
      } else {
        const fresh = this.trk.newProgress(next, isLearner);
        // Let a new member get a snapshot at once, before it has had a chance to answer.
        fresh.recentActive = true;
        this.trk.progress.set(id, fresh);
      }
    }
    for (const id of [...this.trk.progress.keys()]) if (!members.has(id)) this.trk.progress.delete(id);
    this.trk.voters = new Set(cs.voters);
    this.trk.learners = new Set(cs.learners.filter((id) => !this.trk.voters.has(id)));

    if (this.role !== 'leader') return;
    if (!this.trk.voters.has(this.id)) {
      // Removed or demoted: stop leading; the remaining voters elect a successor.
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) this.leadTransferee = NONE;
    // The quorum changed, so the commit index may move; new members need appends.
    if (this.maybeCommit()) this.bcastAppend();
    else this.forEachPeer((id) => this.maybeSendAppend(id, false));
  }
}
