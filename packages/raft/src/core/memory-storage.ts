import type { RaftConfState, RaftEntry, RaftHardState, RaftSnapshot } from '@flotilla/api';
import { RaftEntryType } from '@flotilla/api';
import { bootstrapLog } from './bootstrap.js';
import { RaftError } from './errors.js';
import { limitSize } from './limit-size.js';
import type { LogStorage } from './storage.js';
import { EMPTY, emptyConfState, emptyHardState, snapshotIndex, snapshotTerm } from './types.js';

/**
 * In-memory LogStorage, pure and synchronous. The application (or the durable WAL that
 * backs it) calls append/setHardState/applySnapshot while handling a Ready, and
 * createSnapshot/compact to trim the log.
 */
export class MemoryStorage implements LogStorage {
  private hardState: RaftHardState = emptyHardState();
  private snap: RaftSnapshot;
  // ents[0] is a placeholder holding the index and term of the last compacted entry.
  private ents: RaftEntry[];

  constructor(confState: RaftConfState = emptyConfState()) {
    this.snap = { metadata: { index: 0, term: 0, confState: cloneConf(confState) }, data: EMPTY };
    this.ents = [placeholder(0, 0)];
  }

  /** A storage for a founding member of a brand-new cluster (see bootstrapLog). */
  static bootstrap(voters: number[], learners: number[] = []): MemoryStorage {
    const s = new MemoryStorage();
    const { entries, hardState } = bootstrapLog(voters, learners);
    s.append(entries);
    s.setHardState(hardState);
    return s;
  }

  initialState(): { hardState: RaftHardState; confState: RaftConfState } {
    return { hardState: { ...this.hardState }, confState: cloneConf(this.snap.metadata?.confState ?? emptyConfState()) };
  }

  setHardState(h: RaftHardState): void {
    this.hardState = { ...h };
  }

  entries(lo: number, hi: number, maxSize: number): RaftEntry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new RaftError('compacted', `entries from ${lo}: compacted up to ${offset}`);
    if (hi > this.lastIndex() + 1) {
      throw new RaftError('unavailable', `entries up to ${hi - 1}: last index is ${this.lastIndex()}`);
    }
    if (lo > hi) throw new RaftError('invalid-argument', `entries: lo ${lo} > hi ${hi}`);
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new RaftError('compacted', `term of ${i}: compacted up to ${offset}`);
    const e = this.ents[i - offset];
    if (e === undefined) throw new RaftError('unavailable', `term of ${i}: last index is ${this.lastIndex()}`);
    return e.term;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  snapshot(): RaftSnapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot received from the leader. Older snapshots are refused. */
  applySnapshot(s: RaftSnapshot): void {
    const idx = snapshotIndex(s);
    if (idx < snapshotIndex(this.snap)) {
      throw new RaftError('invalid-argument', `applySnapshot ${idx}: older than current snapshot ${snapshotIndex(this.snap)}`);
    }
    this.snap = s;
    this.ents = [placeholder(idx, snapshotTerm(s))];
  }

  /**
   * Records a snapshot of the application state as of applied index i (i <= lastIndex).
   * The log is not trimmed; call compact() for that.
   */
  createSnapshot(i: number, confState: RaftConfState, data: Buffer): RaftSnapshot {
    const cur = snapshotIndex(this.snap);
    if (i <= cur) throw new RaftError('invalid-argument', `createSnapshot ${i}: not newer than snapshot ${cur}`);
    if (i > this.lastIndex()) throw new RaftError('unavailable', `createSnapshot ${i}: last index is ${this.lastIndex()}`);
    this.snap = { metadata: { index: i, term: this.term(i), confState: cloneConf(confState) }, data };
    return this.snap;
  }

  /** Drops entries up to and including compactIndex; they must be covered by a snapshot by then. */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) return;
    if (compactIndex > this.lastIndex()) {
      throw new RaftError('unavailable', `compact ${compactIndex}: last index is ${this.lastIndex()}`);
    }
    const keep = this.ents.slice(compactIndex - offset);
    keep[0] = placeholder(compactIndex, keep[0]!.term);
    this.ents = keep;
  }

  /** Appends entries, replacing any conflicting suffix. Entries already compacted are skipped. */
  append(entries: RaftEntry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    const ents = first > entries[0]!.index ? entries.slice(first - entries[0]!.index) : entries;
    const offset = ents[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new RaftError('invalid-argument', `append at ${ents[0]!.index}: gap after last index ${this.lastIndex()}`);
    }
    if (offset === this.ents.length) {
      for (const e of ents) this.ents.push(e); // the common case: no copy of the whole log
    } else {
      this.ents = this.ents.slice(0, offset).concat(ents);
    }
  }
}

function placeholder(index: number, term: number): RaftEntry {
  return { index, term, type: RaftEntryType.RAFT_ENTRY_NORMAL, data: EMPTY };
}

function cloneConf(c: RaftConfState): RaftConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}
