import type { RaftEntry, RaftSnapshot } from '@flotilla/api';
import { RaftError } from './errors.js';
import { limitSize } from './limit-size.js';
import type { LogStorage } from './storage.js';
import { snapshotIndex, snapshotTerm } from './types.js';
import { Unstable } from './unstable.js';

/** The Raft log as the core sees it: persisted entries in storage followed by unstable ones. */
export class RaftLog {
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index the application has applied. */
  applied: number;

  constructor(
    readonly storage: LogStorage,
    readonly maxCommittedSizePerReady: number = Number.MAX_SAFE_INTEGER,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term of entry i; throws `compacted` below firstIndex()-1 and `unavailable` past lastIndex(). */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new RaftError('compacted', `term of ${i}: log starts after ${dummy}`);
    if (i > this.lastIndex()) throw new RaftError('unavailable', `term of ${i}: last index is ${this.lastIndex()}`);
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  /** Term of i, or undefined when it is compacted or not there (no exception: this is a hot path). */
  maybeTerm(i: number): number | undefined {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  /** Term of i, or 0 when it is compacted or not there. */
  termOrZero(i: number): number {
    return this.maybeTerm(i) ?? 0;
  }

  matchTerm(i: number, t: number): boolean {
    return this.maybeTerm(i) === t;
  }

  /**
   * Follower side of AppendEntries: if our entry at `index` has term `logTerm`, append
   * `ents` (dropping what conflicts) and return the last index now known to match the leader.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: RaftEntry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new Error(`raft invariant: entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: RaftEntry[]): number {
    const first = ents[0];
    if (first === undefined) return this.lastIndex();
    if (first.index - 1 < this.committed) {
      throw new Error(`raft invariant: append after ${first.index - 1} is below committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** First index whose term differs from ours (or that we lack); 0 if all match. */
  findConflict(ents: RaftEntry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Largest index <= `index` whose term is <= `term`, with that term. Used on both sides of
   * a rejected append to skip a whole term of mismatching entries at once.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i > 0; i--) {
      const ours = this.maybeTerm(i);
      if (ours === undefined) return { index: i, term: 0 };
      if (ours <= term) return { index: i, term: ours };
    }
    return { index: 0, term: 0 };
  }

  unstableEntries(): RaftEntry[] {
    return this.unstable.entries;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Committed entries not yet applied, limited by maxCommittedSizePerReady. */
  nextCommittedEntries(): RaftEntry[] {
    if (this.hasPendingSnapshot()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxCommittedSizePerReady);
  }

  hasNextCommittedEntries(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  snapshot(): RaftSnapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return;
    if (toCommit > this.lastIndex()) {
      throw new Error(`raft invariant: commit ${toCommit} is past last index ${this.lastIndex()}`);
    }
    this.committed = toCommit;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new Error(`raft invariant: applied ${i} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Leader only: commit maxIndex if it is from the current term (Raft §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: RaftSnapshot): void {
    this.committed = snapshotIndex(s);
    this.unstable.restore(s);
  }

  /** Entries from lo to the end, at most maxSize bytes (but at least one if any). */
  entries(lo: number, maxSize: number): RaftEntry[] {
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxSize);
  }

  /** Entries in [lo, hi) from storage and unstable; throws `compacted` if lo is gone. */
  slice(lo: number, hi: number, maxSize: number): RaftEntry[] {
    const first = this.firstIndex();
    if (lo < first) throw new RaftError('compacted', `slice from ${lo}: log starts at ${first}`);
    if (hi > this.lastIndex() + 1) throw new RaftError('unavailable', `slice to ${hi - 1}: last index is ${this.lastIndex()}`);
    if (lo === hi) return [];
    let ents: RaftEntry[] = [];
    const off = this.unstable.offset;
    if (lo < off) {
      const stored = this.storage.entries(lo, Math.min(hi, off), maxSize);
      // Storage cut the slice short for size: the unstable part would not fit either.
      if (stored.length < Math.min(hi, off) - lo) return stored;
      ents = stored;
    }
    if (hi > off) {
      const uns = this.unstable.slice(Math.max(lo, off), hi);
      ents = ents.length > 0 ? ents.concat(uns) : uns;
    }
    return limitSize(ents, maxSize);
  }

  /** Whole log as currently known, for tests and simulation checks. */
  allEntries(): RaftEntry[] {
    return this.entries(this.firstIndex(), Number.MAX_SAFE_INTEGER);
  }

  /** Term of the snapshot the log starts after (0 if none). */
  snapshotTermAtStart(): number {
    return this.unstable.snapshot ? snapshotTerm(this.unstable.snapshot) : this.termOrZero(this.firstIndex() - 1);
  }
}
