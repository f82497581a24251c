import { RaftMessageType as T, type RaftMessage } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/core/memory-storage.js';
import { isRaftError } from '../../src/core/errors.js';
import { SimCluster } from '../sim/cluster.js';
import { encodeOp } from '../sim/kv.js';

describe('MemoryStorage', () => {
  it('serves entries and terms, snapshots, compacts and refuses what it no longer has', () => {
    const s = MemoryStorage.bootstrap([1, 2, 3]);
    const e = (index: number, term: number) => ({ index, term, type: 'RAFT_ENTRY_NORMAL' as never, data: Buffer.from(`d${index}`) });
    s.append([e(1, 1), e(2, 1), e(3, 2), e(4, 2)]);
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    s.append([e(3, 3)]); // conflicting suffix replaced
    expect(s.lastIndex()).toBe(3);
    expect(s.term(3)).toBe(3);
    s.createSnapshot(2, { voters: [1, 2, 3], learners: [] }, Buffer.from('state'));
    s.compact(2);
    expect(s.firstIndex()).toBe(3);
    expect(s.term(2)).toBe(1);
    expect(() => s.term(1)).toThrow(expect.objectContaining({ code: 'compacted' }));
    expect(() => s.entries(1, 3, 1e9)).toThrow(expect.objectContaining({ code: 'compacted' }));
    expect(() => s.term(9)).toThrow(expect.objectContaining({ code: 'unavailable' }));
    expect(s.initialState().confState.voters).toEqual([1, 2, 3]);
    let err: unknown;
    try {
      s.createSnapshot(1, { voters: [1], learners: [] }, Buffer.alloc(0));
    } catch (x) {
      err = x;
    }
    expect(isRaftError(err, 'invalid-argument')).toBe(true);
    expect(s.snapshot().metadata?.index).toBe(2); // a bad request changed nothing
  });
});

describe('snapshots and log compaction', () => {
  it('sends a snapshot to a follower that fell behind the compacted log, which then catches up', () => {
    const c = new SimCluster({ seed: 31, voters: [1, 2, 3], snapshotEvery: 5, keepAfterSnapshot: 0 });
    expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
    const l = c.leader()!;
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    c.crash(f);
    for (let i = 0; i < 40; i++) c.propose(l.id, encodeOp({ id: `w${i}`, op: 'put', key: `k${i % 7}`, value: `v${i}` }));
    c.runTicks(5);
    expect(l.storage.firstIndex()).toBeGreaterThan(10);
    const snaps: RaftMessage[] = [];
    c.onSend = (m) => {
      if (m.type === T.RAFT_MSG_SNAP) snaps.push(m);
    };
    c.restart(f);
    c.runTicks(30);
    expect(snaps.length).toBeGreaterThanOrEqual(1);
    expect(snaps[0]!.to).toBe(f);
    const fm = c.member(f);
    expect(fm.sm.appliedIndex).toBe(l.sm.appliedIndex);
    expect([...fm.sm.kv]).toEqual([...l.sm.kv]);
    expect(fm.storage.snapshot().metadata?.index).toBeGreaterThan(0);
    // and it keeps replicating normally afterwards
    c.propose(l.id, encodeOp({ id: 'after', op: 'put', key: 'z', value: 'last' }));
    c.runTicks(5);
    expect(fm.sm.kv.get('z')).toBe('last');
  });

  it('a member restarted from a snapshot rebuilds its state from it plus the log after it', () => {
    const c = new SimCluster({ seed: 32, voters: [1, 2, 3], snapshotEvery: 4, keepAfterSnapshot: 1 });
    expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
    const l = c.leader()!;
    for (let i = 0; i < 13; i++) c.propose(l.id, encodeOp({ id: `w${i}`, op: 'put', key: 'k', value: `v${i}` }));
    c.runTicks(5);
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    c.crash(f);
    c.restart(f);
    c.runTicks(5);
    expect(c.member(f).sm.kv.get('k')).toBe('v12');
  });

  it('a retried snapshot reaches a follower after the first one was lost', () => {
    const c = new SimCluster({ seed: 33, voters: [1, 2, 3], snapshotEvery: 3, keepAfterSnapshot: 0 });
    expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
    const l = c.leader()!;
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    c.crash(f);
    for (let i = 0; i < 20; i++) c.propose(l.id, encodeOp({ id: `w${i}`, op: 'put', key: 'k', value: `v${i}` }));
    c.runTicks(3);
    let lostOne = false;
    c.net.faults = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 1 };
    c.onSend = (m) => {
      if (m.type === T.RAFT_MSG_SNAP && !lostOne) {
        lostOne = true;
        c.net.cutLink(m.from, m.to);
      }
    };
    c.restart(f);
    c.runTicks(2);
    c.net.heal();
    c.runTicks(40);
    expect(lostOne).toBe(true);
    expect(c.member(f).sm.kv.get('k')).toBe('v19');
  });
});
