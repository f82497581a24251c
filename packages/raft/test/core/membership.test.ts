import { RaftConfChangeType as CC } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { applyConfChangeTo, confChangeProblem } from '../../src/core/conf-change.js';
import { isRaftError } from '../../src/core/errors.js';
import { SimCluster } from '../sim/cluster.js';

const cc = (type: CC, nodeId: number) => ({ type, nodeId, context: Buffer.alloc(0) });

function elected(seed: number, voters = [1, 2, 3]): SimCluster {
  const c = new SimCluster({ seed, voters });
  expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
  c.runTicks(3);
  return c;
}

/** Proposes a conf change on the leader and waits until every live member applied it. */
function change(c: SimCluster, type: CC, nodeId: number): void {
  const l = c.leader()!;
  expect(c.proposeConfChange(l.id, cc(type, nodeId))).toBe(true);
  const at = l.node!.raft.raftLog.lastIndex();
  expect(l.node!.raft.raftLog.term(at)).toBe(l.node!.raft.term);
  expect(c.runUntil(() => c.live().every((m) => m.sm.appliedIndex >= at), 200)).toBe(true);
}

describe('conf change rules', () => {
  it('accepts single-server changes and explains refusals', () => {
    const cs = { voters: [1, 2, 3], learners: [4] };
    expect(confChangeProblem(cs, cc(CC.RAFT_CONF_CHANGE_ADD_VOTER, 5))).toBeUndefined();
    expect(confChangeProblem(cs, cc(CC.RAFT_CONF_CHANGE_ADD_VOTER, 2))).toMatch(/already a voter/);
    expect(confChangeProblem(cs, cc(CC.RAFT_CONF_CHANGE_PROMOTE_LEARNER, 3))).toMatch(/not a learner/);
    expect(confChangeProblem(cs, cc(CC.RAFT_CONF_CHANGE_ADD_LEARNER, 1))).toMatch(/is a voter/);
    expect(confChangeProblem({ voters: [1], learners: [] }, cc(CC.RAFT_CONF_CHANGE_REMOVE_VOTER, 1))).toMatch(/last voter/);
    expect(confChangeProblem(cs, cc(CC.RAFT_CONF_CHANGE_REMOVE_VOTER, 9))).toMatch(/not a member/);
    expect(confChangeProblem(cs, cc(CC.RAFT_CONF_CHANGE_ADD_VOTER, 0))).toMatch(/positive/);
    expect(applyConfChangeTo(cs, cc(CC.RAFT_CONF_CHANGE_PROMOTE_LEARNER, 4))).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    // an invalid change applies as a no-op, identically everywhere
    expect(applyConfChangeTo(cs, cc(CC.RAFT_CONF_CHANGE_ADD_VOTER, 2))).toEqual(cs);
  });
});

describe('membership changes', () => {
  it('adds a voter that starts empty and catches up', () => {
    const c = elected(41);
    for (let i = 0; i < 5; i++) c.propose(c.leader()!.id, Buffer.from(`x${i}`));
    c.addMember(4);
    change(c, CC.RAFT_CONF_CHANGE_ADD_VOTER, 4);
    c.runTicks(10);
    expect(c.member(4).node!.confState().voters).toEqual([1, 2, 3, 4]);
    expect(c.member(4).appliedLog.filter((e) => e.data.toString().startsWith('x'))).toHaveLength(5);
    // with 4 voters a majority is 3: losing two members stops commits, losing one does not
    const l = c.leader()!;
    const others = [1, 2, 3, 4].filter((id) => id !== l.id);
    c.crash(others[0]!);
    expect(c.propose(l.id, Buffer.from('three-of-four'))).toBe(true);
    c.runTicks(10);
    expect(l.appliedLog.some((e) => e.data.toString() === 'three-of-four')).toBe(true);
  });

  it('a member added after the leader’s latest snapshot takes that snapshot and learns of itself from the log after it', () => {
    const c = new SimCluster({ seed: 45, voters: [1, 2, 3], snapshotEvery: 5, keepAfterSnapshot: 0 });
    expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
    const l = c.leader()!;
    for (let i = 0; i < 10; i++) c.propose(l.id, Buffer.from(`s${i}`));
    c.runTicks(5);
    const snap = l.storage.snapshot().metadata!;
    expect(snap.index).toBeGreaterThan(5);
    expect(snap.confState!.voters).not.toContain(4);
    c.addMember(4);
    change(c, CC.RAFT_CONF_CHANGE_ADD_VOTER, 4);
    expect(l.storage.snapshot().metadata!.confState!.voters).not.toContain(4); // no newer snapshot yet
    c.runTicks(10);
    const m4 = c.member(4);
    expect(m4.storage.snapshot().metadata!.index).toBe(snap.index);
    expect(m4.node!.confState().voters).toEqual([1, 2, 3, 4]);
    expect(m4.sm.appliedIndex).toBe(l.sm.appliedIndex);
  });

  it('adds a learner that replicates but never votes or campaigns, then promotes it', () => {
    const c = elected(42);
    c.addMember(4);
    change(c, CC.RAFT_CONF_CHANGE_ADD_LEARNER, 4);
    c.propose(c.leader()!.id, Buffer.from('to-learner'));
    c.runTicks(10);
    const learner = c.member(4);
    expect(learner.appliedLog.some((e) => e.data.toString() === 'to-learner')).toBe(true);
    expect(learner.node!.confState()).toEqual({ voters: [1, 2, 3], learners: [4] });
    // Cut the learner off from everyone: it must not campaign.
    const term = learner.node!.raft.term;
    c.net.partition([[4], [1, 2, 3]]);
    c.runTicks(100);
    expect(learner.node!.raft.term).toBe(term);
    expect(learner.node!.raft.role).toBe('follower');
    c.net.heal();
    c.runTicks(10);
    change(c, CC.RAFT_CONF_CHANGE_PROMOTE_LEARNER, 4);
    expect(c.leader()!.node!.confState()).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  });

  it('removes the leader: it steps down and the rest elect a new one and keep committing', () => {
    const c = elected(43);
    const old = c.leader()!;
    change(c, CC.RAFT_CONF_CHANGE_REMOVE_VOTER, old.id);
    expect(c.runUntil(() => c.leader() !== undefined && c.leader()!.id !== old.id, 200)).toBe(true);
    const nl = c.leader()!;
    expect(nl.node!.confState().voters).not.toContain(old.id);
    expect(c.propose(nl.id, Buffer.from('after-removal'))).toBe(true);
    c.runTicks(10);
    for (const id of [1, 2, 3].filter((x) => x !== old.id)) {
      expect(c.member(id).appliedLog.some((e) => e.data.toString() === 'after-removal')).toBe(true);
    }
    expect(old.node!.raft.promotable()).toBe(false);
  });

  it('refuses a second change while one is pending, and a change that cannot apply', () => {
    const c = elected(44);
    const l = c.leader()!;
    c.addMember(4);
    c.addMember(5);
    l.node!.proposeConfChange(cc(CC.RAFT_CONF_CHANGE_ADD_LEARNER, 4));
    let err: unknown;
    try {
      l.node!.proposeConfChange(cc(CC.RAFT_CONF_CHANGE_ADD_LEARNER, 5));
    } catch (e) {
      err = e;
    }
    expect(isRaftError(err, 'conf-change-rejected')).toBe(true);
    c.process(l);
    c.runTicks(10);
    expect(() => l.node!.proposeConfChange(cc(CC.RAFT_CONF_CHANGE_ADD_VOTER, 2))).toThrow(/already a voter/);
  });
});
