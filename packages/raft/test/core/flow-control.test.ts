import { RaftMessageType as T, type RaftMessage } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { Inflights } from '../../src/core/inflights.js';
import { SimCluster, appliedPayloads, type SimOptions } from '../sim/cluster.js';

function elected(opts: Partial<SimOptions> & { seed: number }): SimCluster {
  const c = new SimCluster({ voters: [1, 2, 3], checkQuorum: false, ...opts });
  expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
  c.runTicks(5);
  return c;
}

function appendsWithEntries(c: SimCluster, to: number): RaftMessage[] {
  const seen: RaftMessage[] = [];
  c.onSend = (m) => {
    if (m.type === T.RAFT_MSG_APP && m.to === to && m.entries.length > 0) seen.push(m);
  };
  return seen;
}

describe('inflights', () => {
  it('is full by count or by bytes and frees acknowledged appends in order', () => {
    const f = new Inflights(3, 100);
    f.add(1, 10);
    f.add(2, 10);
    expect(f.full()).toBe(false);
    f.add(3, 10);
    expect(f.full()).toBe(true);
    f.freeLE(2);
    expect(f.count()).toBe(1);
    expect(f.full()).toBe(false);
    f.add(4, 95);
    expect(f.full()).toBe(true); // 105 bytes
    expect(() => f.add(5, 1)).toThrow(/full/);
    expect(() => new Inflights(0)).toThrow(/positive/);
  });
});

describe('pipelining and flow control', () => {
  it('keeps at most maxInflightMsgs appends outstanding to a follower that stops answering', () => {
    const c = elected({ seed: 21, maxInflightMsgs: 4 });
    const l = c.leader()!;
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    expect(l.node!.status().progress.get(f)?.state).toBe('replicate');
    c.net.cutLink(f, l.id); // the follower hears the leader but its answers are lost
    const seen = appendsWithEntries(c, f);
    for (let i = 0; i < 20; i++) {
      c.propose(l.id, Buffer.from(`e${i}`));
      c.step();
    }
    expect(seen).toHaveLength(4);
    c.net.heal();
    c.runTicks(10);
    expect(appliedPayloads(c.member(f))).toHaveLength(20);
  });

  it('also bounds the bytes in flight', () => {
    const c = elected({ seed: 22, maxInflightMsgs: 100, maxInflightBytes: 200 });
    const l = c.leader()!;
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    c.net.cutLink(f, l.id);
    const seen = appendsWithEntries(c, f);
    for (let i = 0; i < 10; i++) {
      c.propose(l.id, Buffer.alloc(100, i));
      c.step();
    }
    // Each entry counts 100 bytes plus overhead: the window is full after two.
    expect(seen).toHaveLength(2);
  });

  it('sends one append at a time while probing', () => {
    const c = elected({ seed: 23, maxInflightMsgs: 8 });
    const l = c.leader()!;
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    c.crash(f);
    c.withNode(l.id, (n) => n.reportUnreachable(f));
    expect(l.node!.status().progress.get(f)?.state).toBe('probe');
    const seen = appendsWithEntries(c, f);
    for (let i = 0; i < 10; i++) {
      c.propose(l.id, Buffer.from(`p${i}`));
      c.step();
    }
    expect(seen).toHaveLength(1);
  });

  it('carries a batch of proposals in one append per follower', () => {
    const c = elected({ seed: 24 });
    const l = c.leader()!;
    const appends: RaftMessage[] = [];
    c.onSend = (m) => {
      if (m.type === T.RAFT_MSG_APP && m.entries.length > 0) appends.push(m);
    };
    c.withNode(l.id, (n) => n.propose(...Array.from({ length: 10 }, (_, i) => Buffer.from(`b${i}`))));
    expect(appends).toHaveLength(2);
    expect(appends.every((m) => m.entries.length === 10)).toBe(true);
    c.runTicks(5);
    for (const m of c.members.values()) expect(appliedPayloads(m)).toHaveLength(10);
  });

  it('sends proposals made between two Readies in one append per follower', () => {
    const c = elected({ seed: 26 });
    const l = c.leader()!;
    const appends: RaftMessage[] = [];
    c.onSend = (m) => {
      if (m.type === T.RAFT_MSG_APP && m.entries.length > 0) appends.push(m);
    };
    for (let i = 0; i < 10; i++) l.node!.propose(Buffer.from(`s${i}`)); // no Ready taken in between
    c.process(l);
    expect(appends).toHaveLength(2);
    expect(appends.map((m) => m.entries.length)).toEqual([10, 10]);
    c.runTicks(5);
    for (const m of c.members.values()) expect(appliedPayloads(m)).toHaveLength(10);
  });

  it('drops proposals while too many bytes are uncommitted, and takes them again once they commit', () => {
    const c = elected({ seed: 27, maxUncommittedEntriesSize: 1000 });
    const l = c.leader()!;
    const [f1, f2] = [1, 2, 3].filter((id) => id !== l.id) as [number, number];
    c.net.partition([[l.id], [f1, f2]]);
    expect(c.propose(l.id, Buffer.alloc(600))).toBe(true);
    expect(c.propose(l.id, Buffer.alloc(300))).toBe(true);
    expect(c.propose(l.id, Buffer.alloc(300))).toBe(false); // 1200 > 1000
    expect(l.node!.raft.uncommittedSize).toBe(900);
    c.net.heal();
    c.runTicks(5);
    expect(l.node!.raft.role).toBe('leader');
    expect(l.node!.raft.uncommittedSize).toBe(0);
    expect(c.propose(l.id, Buffer.alloc(300))).toBe(true);
  });

  it('splits a long catch-up into messages of at most maxSizePerMsg', () => {
    const c = elected({ seed: 25, maxSizePerMsg: 300, maxInflightMsgs: 64 });
    const l = c.leader()!;
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    c.crash(f);
    for (let i = 0; i < 30; i++) c.propose(l.id, Buffer.alloc(50, i));
    c.runTicks(2);
    const seen = appendsWithEntries(c, f);
    c.restart(f);
    c.runTicks(20);
    expect(appliedPayloads(c.member(f))).toHaveLength(30);
    expect(seen.length).toBeGreaterThan(1);
    for (const m of seen) expect(m.entries.reduce((s, e) => s + e.data.length + 24, 0)).toBeLessThanOrEqual(300);
  });
});
