import { RaftEntryType, type RaftEntry } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../src/core/log.js';
import { MemoryStorage } from '../../src/core/memory-storage.js';

const e = (index: number, term: number, data = `${index}@${term}`): RaftEntry => ({
  index,
  term,
  type: RaftEntryType.RAFT_ENTRY_NORMAL,
  data: Buffer.from(data),
});

function logWith(terms: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => e(i + 1, t)));
  return new RaftLog(s);
}

describe('RaftLog', () => {
  it('commits by counting only entries of the current term (Raft §5.4.2, figure 8)', () => {
    const log = logWith([1, 2, 2, 4]);
    expect(log.maybeCommit(3, 4)).toBe(false); // index 3 is from term 2: replicas alone prove nothing
    expect(log.committed).toBe(0);
    expect(log.maybeCommit(4, 4)).toBe(true); // committing a current-term entry commits all before it
    expect(log.committed).toBe(4);
  });

  it('appends after a matching entry, truncates a conflicting suffix, and refuses a mismatch', () => {
    const log = logWith([1, 1, 2]);
    expect(log.maybeAppend(2, 1, 0, [e(3, 3), e(4, 3)])).toBe(4);
    expect(log.allEntries().map((x) => x.term)).toEqual([1, 1, 3, 3]);
    expect(log.maybeAppend(4, 9, 0, [e(5, 9)])).toBeUndefined();
    // re-sent old entries that already match change nothing
    expect(log.maybeAppend(1, 1, 2, [e(2, 1)])).toBe(2);
    expect(log.lastIndex()).toBe(4);
    expect(log.committed).toBe(2);
    expect(() => log.maybeAppend(0, 0, 0, [e(1, 5)])).toThrow(/committed/);
  });

  it('finds where to probe next: the newest entry whose term is at most the given term', () => {
    const log = logWith([1, 1, 2, 2, 2, 5, 5]);
    expect(log.findConflictByTerm(7, 4)).toEqual({ index: 5, term: 2 });
    expect(log.findConflictByTerm(7, 5)).toEqual({ index: 7, term: 5 });
    expect(log.findConflictByTerm(5, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(3, 0)).toEqual({ index: 0, term: 0 });
  });

  it('keeps unstable entries until persisted, and ignores a stale persistence report', () => {
    const log = logWith([1]);
    log.append([e(2, 2), e(3, 2)]);
    expect(log.unstableEntries()).toHaveLength(2);
    log.append([e(3, 3)]); // replaced before it was persisted
    log.stableTo(3, 2); // report for the replaced entry: must not drop the new one
    expect(log.unstableEntries().map((x) => x.term)).toEqual([2, 3]);
    log.stableTo(3, 3);
    expect(log.unstableEntries()).toHaveLength(0);
  });

  it('says which entries are up to date for a vote', () => {
    const log = logWith([1, 2, 2]);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(9, 1)).toBe(false);
  });
});
