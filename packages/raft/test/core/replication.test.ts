import { RaftMessageType as T, type RaftMessage } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { SimCluster, appliedPayloads, type SimOptions } from '../sim/cluster.js';

function elected(opts: Partial<SimOptions> & { seed: number }): SimCluster {
  const c = new SimCluster({ voters: [1, 2, 3], ...opts });
  expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
  c.runTicks(5);
  return c;
}

const text = appliedPayloads;

describe('log replication', () => {
  it('commits an entry once a majority holds it, and every member applies it in the same place', () => {
    const c = elected({ seed: 11, voters: [1, 2, 3, 4, 5] });
    const l = c.leader()!;
    expect(c.propose(l.id, Buffer.from('a'))).toBe(true);
    c.runTicks(10);
    for (const m of c.members.values()) expect(text(m)).toEqual(['a']);
  });

  it('does not commit while the leader reaches only a minority, and commits once it reaches a majority', () => {
    const c = elected({ seed: 12, voters: [1, 2, 3, 4, 5], checkQuorum: false });
    const l = c.leader()!;
    const others = [1, 2, 3, 4, 5].filter((id) => id !== l.id);
    c.net.partition([[l.id, others[0]!], others.slice(1)]);
    const before = l.node!.raft.raftLog.committed;
    expect(c.propose(l.id, Buffer.from('x'))).toBe(true);
    c.runTicks(5);
    expect(l.node!.raft.raftLog.committed).toBe(before);
    expect(text(l)).toEqual([]);
    // Let one more member hear the leader (but not the rest, which may have elected someone else).
    c.net.partition([[l.id, others[0]!, others[1]!], others.slice(2)]);
    c.runTicks(10);
    if (l.node!.raft.role === 'leader' && l.node!.raft.term === c.maxTerm()) {
      expect(text(l)).toEqual(['x']);
    }
  });

  it('replaces a deposed leader’s uncommitted suffix, using reject hints to skip whole terms', () => {
    const c = elected({ seed: 13, voters: [1, 2, 3], maxSizePerMsg: 1 << 20 });
    const old = c.leader()!;
    const rest = [1, 2, 3].filter((id) => id !== old.id);
    c.net.partition([[old.id], rest]);
    for (let i = 0; i < 50; i++) c.propose(old.id, Buffer.from(`lost-${i}`));
    expect(c.runUntil(() => c.leader() !== undefined && c.leader()!.id !== old.id, 200)).toBe(true);
    const nl = c.leader()!;
    for (let i = 0; i < 30; i++) c.propose(nl.id, Buffer.from(`kept-${i}`));
    c.runTicks(5);
    // A fresh leader probes at its last index, far past where the logs agree.
    c.crash(nl.id);
    c.restart(nl.id);
    expect(c.runUntil(() => c.leader() !== undefined && c.leader()!.id !== old.id, 200)).toBe(true);
    c.runTicks(5);
    let rejections = 0;
    c.onSend = (m: RaftMessage) => {
      if (m.type === T.RAFT_MSG_APP_RESP && m.reject && m.from === old.id) rejections++;
    };
    c.net.heal();
    c.runTicks(30);
    const want = text(c.leader()!);
    expect(want).toHaveLength(30);
    expect(text(old)).toEqual(want);
    expect(old.node!.raft.raftLog.allEntries().some((e) => e.data.toString().startsWith('lost-'))).toBe(false);
    // 50 conflicting entries of one term: a hint skips them all, not one per round trip.
    expect(rejections).toBeGreaterThan(0);
    expect(rejections).toBeLessThanOrEqual(3);
  });

  it('a restarted member keeps what it persisted and catches up on the rest', () => {
    const c = elected({ seed: 14 });
    const l = c.leader()!;
    const f = [1, 2, 3].find((id) => id !== l.id)!;
    c.propose(l.id, Buffer.from('before'));
    c.runTicks(5);
    c.crash(f);
    c.propose(l.id, Buffer.from('during'));
    c.runTicks(5);
    c.restart(f);
    expect(c.member(f).storage.lastIndex()).toBeGreaterThanOrEqual(2);
    c.runTicks(10);
    expect(text(c.member(f))).toEqual(['before', 'during']);
  });
});

describe('ready contract', () => {
  it('a granted vote leaves in the same Ready as the hard state recording it', () => {
    const c = new SimCluster({ seed: 15, voters: [1, 2, 3], preVote: false });
    const seen: string[] = [];
    for (const id of [1, 2, 3]) {
      const m = c.member(id);
      const node = m.node!;
      const ready = node.ready.bind(node);
      node.ready = () => {
        const rd = ready();
        for (const msg of rd.messages) {
          if (msg.type === T.RAFT_MSG_VOTE_RESP && !msg.reject) {
            seen.push(`${rd.hardState?.vote === msg.to}`);
          }
        }
        return rd;
      };
    }
    c.runUntil(() => c.leader() !== undefined, 200);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s === 'true')).toBe(true);
  });

  it('refuses a second ready() before advance()', () => {
    const c = new SimCluster({ seed: 16, voters: [1] });
    const n = c.member(1).node!;
    n.campaign();
    expect(n.hasReady()).toBe(true);
    n.ready();
    expect(() => n.ready()).toThrow(/advance/);
  });
});
