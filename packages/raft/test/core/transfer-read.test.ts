import { describe, expect, it } from 'vitest';
import { SimCluster } from '../sim/cluster.js';
import { encodeOp } from '../sim/kv.js';

function elected(seed: number): SimCluster {
  const c = new SimCluster({ seed, voters: [1, 2, 3, 4, 5] });
  expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
  c.runTicks(3);
  return c;
}

describe('leader transfer', () => {
  it('hands leadership to the chosen member at once with TimeoutNow', () => {
    const c = elected(51);
    const l = c.leader()!;
    const target = [1, 2, 3, 4, 5].find((id) => id !== l.id)!;
    c.withNode(l.id, (n) => n.transferLeadership(target));
    // far less than an election timeout
    expect(c.runUntil(() => c.leader()?.id === target, 5)).toBe(true);
    expect(c.propose(target, Buffer.from('new-leader-works'))).toBe(true);
    c.runTicks(5);
    expect(l.appliedLog.some((e) => e.data.toString() === 'new-leader-works')).toBe(true);
  });

  it('first catches a lagging target up, and drops proposals while transferring', () => {
    const c = elected(52);
    const l = c.leader()!;
    const target = [1, 2, 3, 4, 5].find((id) => id !== l.id)!;
    c.crash(target);
    for (let i = 0; i < 10; i++) c.propose(l.id, Buffer.from(`e${i}`));
    c.restart(target);
    c.withNode(l.id, (n) => n.transferLeadership(target));
    expect(l.node!.status().leadTransferee).toBe(target);
    expect(c.propose(l.id, Buffer.from('during-transfer'))).toBe(false);
    expect(c.runUntil(() => c.leader()?.id === target, 20)).toBe(true);
    expect(c.member(target).node!.raft.raftLog.lastIndex()).toBeGreaterThanOrEqual(12);
  });

  it('gives up on a transfer to a dead member after an election timeout and takes proposals again', () => {
    const c = elected(53);
    const l = c.leader()!;
    const target = [1, 2, 3, 4, 5].find((id) => id !== l.id)!;
    c.crash(target);
    c.withNode(l.id, (n) => n.transferLeadership(target));
    expect(c.propose(l.id, Buffer.from('x'))).toBe(false);
    c.runTicks(15);
    expect(l.node!.status().leadTransferee).toBe(0);
    expect(c.leader()!.id).toBe(l.id);
    expect(c.propose(l.id, Buffer.from('y'))).toBe(true);
  });
});

describe('read index', () => {
  it('confirms leadership with a heartbeat round and returns a read point covering every earlier write', () => {
    const c = elected(54);
    const l = c.leader()!;
    c.propose(l.id, encodeOp({ id: 'w', op: 'put', key: 'k', value: 'v1' }));
    c.runTicks(3);
    const commitAtRequest = l.node!.raft.raftLog.committed;
    c.withNode(l.id, (n) => n.readIndex(Buffer.from('r1')));
    expect(l.readStates).toHaveLength(0); // not before a quorum answered
    c.runTicks(2);
    expect(l.readStates).toHaveLength(1);
    expect(l.readStates[0]!.requestCtx.toString()).toBe('r1');
    expect(l.readStates[0]!.index).toBe(commitAtRequest);
  });

  it('serves reads asked on a follower through the leader', () => {
    const c = elected(55);
    const l = c.leader()!;
    const f = [1, 2, 3, 4, 5].find((id) => id !== l.id)!;
    c.propose(l.id, encodeOp({ id: 'w', op: 'put', key: 'k', value: 'v1' }));
    c.runTicks(3);
    c.withNode(f, (n) => n.readIndex(Buffer.from('from-follower')));
    c.runTicks(3);
    const fm = c.member(f);
    expect(fm.readStates.map((r) => r.requestCtx.toString())).toEqual(['from-follower']);
    expect(fm.readStates[0]!.index).toBeGreaterThanOrEqual(l.node!.raft.raftLog.committed - 0);
  });

  it('a leader cut off from the majority never confirms a read', () => {
    const c = elected(56);
    const l = c.leader()!;
    c.net.partition([[l.id], [1, 2, 3, 4, 5].filter((id) => id !== l.id)]);
    c.withNode(l.id, (n) => n.readIndex(Buffer.from('stale')));
    c.runTicks(40);
    expect(l.readStates).toHaveLength(0);
  });
});
