import { describe, expect, it } from 'vitest';
import { SimCluster } from '../sim/cluster.js';

function electedCluster(seed: number, voters = [1, 2, 3], opts: { preVote?: boolean; checkQuorum?: boolean } = {}): SimCluster {
  const c = new SimCluster({ seed, voters, ...opts });
  const ok = c.runUntil(() => c.leader() !== undefined, 200);
  expect(ok, 'a leader is elected').toBe(true);
  return c;
}

describe('leader election', () => {
  it('elects exactly one leader in a healthy three-member cluster, and the others follow it', () => {
    const c = electedCluster(1);
    c.runTicks(20);
    const leader = c.leader()!;
    const term = leader.node!.raft.term;
    for (const m of c.live()) {
      expect(m.node!.raft.lead).toBe(leader.id);
      expect(m.node!.raft.term).toBe(term);
    }
    expect(c.live().filter((m) => m.node!.raft.role === 'leader')).toHaveLength(1);
  });

  it('a single voter elects itself and commits on its own', () => {
    const c = electedCluster(2, [1]);
    expect(c.propose(1, Buffer.from('solo'))).toBe(true);
    expect(c.member(1).appliedLog.map((e) => e.data.toString())).toContain('solo');
  });

  it('elects a new leader when the leader crashes, in a higher term', () => {
    const c = electedCluster(3, [1, 2, 3, 4, 5]);
    const old = c.leader()!;
    const oldTerm = old.node!.raft.term;
    c.crash(old.id);
    expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
    expect(c.leader()!.id).not.toBe(old.id);
    expect(c.leader()!.node!.raft.term).toBeGreaterThan(oldTerm);
  });

  it('with pre-vote, a partitioned member does not raise its term and does not disrupt the leader on return', () => {
    const c = electedCluster(4, [1, 2, 3], { preVote: true, checkQuorum: true });
    const leader = c.leader()!;
    const isolated = [1, 2, 3].find((id) => id !== leader.id)!;
    const term = leader.node!.raft.term;
    c.net.partition([[isolated], [1, 2, 3].filter((id) => id !== isolated)]);
    c.runTicks(100);
    expect(c.member(isolated).node!.raft.term).toBe(term);
    c.net.heal();
    c.runTicks(30);
    expect(c.leader()!.id).toBe(leader.id);
    expect(c.leader()!.node!.raft.term).toBe(term);
  });

  it('without pre-vote, a partitioned member campaigns and raises its term', () => {
    const c = electedCluster(5, [1, 2, 3], { preVote: false, checkQuorum: false });
    const leader = c.leader()!;
    const isolated = [1, 2, 3].find((id) => id !== leader.id)!;
    const term = leader.node!.raft.term;
    c.net.partition([[isolated], [1, 2, 3].filter((id) => id !== isolated)]);
    c.runTicks(100);
    expect(c.member(isolated).node!.raft.term).toBeGreaterThan(term);
  });

  it('with check-quorum, a leader cut off from the majority steps down', () => {
    const c = electedCluster(6, [1, 2, 3], { checkQuorum: true });
    const leader = c.leader()!;
    c.net.partition([[leader.id], [1, 2, 3].filter((id) => id !== leader.id)]);
    c.runTicks(60);
    expect(leader.node!.raft.role).not.toBe('leader');
    const other = c.leader();
    expect(other).toBeDefined();
    expect(other!.id).not.toBe(leader.id);
  });

  it('randomized election timeouts come from the injected generator: the same seed elects the same leader', () => {
    const a = electedCluster(77, [1, 2, 3, 4, 5]);
    const b = electedCluster(77, [1, 2, 3, 4, 5]);
    expect(a.leader()!.id).toBe(b.leader()!.id);
    expect(a.now).toBe(b.now);
  });
});
