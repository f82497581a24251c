import { describe, expect, it } from 'vitest';
import { NodeRole, NodeState, type Node } from '@flotilla/api';
import { newNodeId } from '@flotilla/ca';
import { createInitNode, createJoinedNode } from '../src/manager/node-objects.js';
import { demotionsToSettle, missingVoters, settledDemotion, voterRemovals } from '../src/manager/voter-plan.js';
import { managerRoutes } from '../src/manager/nats-routes.js';
import { managerSwarmInfo } from '../src/swarm/swarm-info.js';
import type { SwarmState } from '../src/swarm/swarm-state.js';
import { raftIdForNode } from '../src/manager/raft-ids.js';

const first = createInitNode({ nodeId: 'n1', hostname: 'h1', labels: {}, raftId: 7, managerAddr: '127.0.0.31:2377', nodeAddr: '127.0.0.31' });

describe('joined managers', () => {
  it('derive the same positive 31-bit Raft id from a node id on both sides, different ids for different nodes', () => {
    const ids = Array.from({ length: 200 }, () => newNodeId());
    const raftIds = ids.map(raftIdForNode);
    for (const [i, id] of raftIds.entries()) {
      expect(id).toBeGreaterThan(0);
      expect(id).toBeLessThan(2 ** 31);
      expect(raftIdForNode(ids[i]!)).toBe(id);
    }
    expect(new Set(raftIds).size).toBe(ids.length);
  });

  it('a manager joined through the CA carries its Raft id and join address; a worker carries none', () => {
    const mgr = createJoinedNode('n2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377);
    expect(mgr.managerStatus).toMatchObject({ raftId: raftIdForNode('n2'), addr: '127.0.0.32:2377', leader: false });
    expect(createJoinedNode('w1', NodeRole.NODE_ROLE_WORKER, ['127.0.0.40'], 2377).managerStatus).toBeUndefined();
  });

  it('managers that are not voters yet are the ones the leader adds', () => {
    const m2 = createJoinedNode('n2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377);
    const w = createJoinedNode('w1', NodeRole.NODE_ROLE_WORKER, ['127.0.0.40'], 2377);
    expect(missingVoters([first, m2, w], [7], [])).toEqual([raftIdForNode('n2')]);
    expect(missingVoters([first, m2, w], [7, raftIdForNode('n2')], [])).toEqual([]);
  });

  it('a denied manager (dropped by --force-new-cluster, or removed) is never added back as a voter', () => {
    const m2 = createJoinedNode('n2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377);
    const m3 = createJoinedNode('n3', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.33'], 2377);
    expect(missingVoters([first, m2, m3], [7], ['n2'])).toEqual([raftIdForNode('n3')]);
    expect(missingVoters([first, m2, m3], [7], ['n2', 'n3'])).toEqual([]);
  });

  it('route to every other manager on the shared route port, never to itself or a worker', () => {
    const m2 = createJoinedNode('n2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377);
    const w = createJoinedNode('w1', NodeRole.NODE_ROLE_WORKER, ['127.0.0.40'], 2377);
    expect(managerRoutes([m2, first, w], 'n3', 6222, [])).toEqual(['nats-route://127.0.0.31:6222', 'nats-route://127.0.0.32:6222']);
    expect(managerRoutes([m2, first, w], 'n1', 6222, [])).toEqual(['nats-route://127.0.0.32:6222']);
  });

  it('no route to, and no count of, a manager dropped by --force-new-cluster (denied)', () => {
    const m2 = createJoinedNode('n2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377);
    const m3 = createJoinedNode('n3', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.33'], 2377);
    const w = createJoinedNode('w1', NodeRole.NODE_ROLE_WORKER, ['127.0.0.40'], 2377);
    expect(managerRoutes([first, m2, m3, w], 'n4', 6222, ['n2'])).toEqual(['nats-route://127.0.0.31:6222', 'nats-route://127.0.0.33:6222']);
    expect(managerRoutes([first, m2, m3], 'n1', 6222, ['n2', 'n3'])).toEqual([]);
    const state = { nodeId: 'n1', advertiseHost: '127.0.0.31', clusterId: 'c1' } as SwarmState;
    const info = managerSwarmInfo(state, [first, m2, m3, w], ['n2', 'n3']);
    expect(info.managers).toBe(1);
    expect(info.nodes).toBe(4);
    expect(info.remoteManagers).toEqual([{ nodeId: 'n1', addr: '127.0.0.31:2377' }]);
    expect(managerSwarmInfo(state, [first, m2, m3, w], []).managers).toBe(3);
  });
});

describe('managers that left', () => {
  it('a voter no manager node stands for is removed, never the leader itself', () => {
    const m2 = ready(createJoinedNode('n2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377));
    const demoted = { ...createJoinedNode('n3', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.33'], 2377), role: NodeRole.NODE_ROLE_WORKER };
    const voters = [7, raftIdForNode('n2'), raftIdForNode('n3')];
    expect(voterRemovals([ready(first), m2, demoted], voters, 7)).toEqual({ remove: [raftIdForNode('n3')], held: [] });
    expect(voterRemovals([m2], voters, 7)).toEqual({ remove: [raftIdForNode('n3')], held: [] });
    // The leader's own node asked to be a worker: it hands leadership over itself, never removed here.
    expect(voterRemovals([asWorker(ready(first)), m2], [7, raftIdForNode('n2')], 7).remove).toEqual([]);
  });
});

const ready = (n: Node): Node => ({ ...n, status: { state: NodeState.NODE_STATE_READY, message: '', addr: n.status?.addr ?? '' } });
const down = (n: Node): Node => ({ ...n, status: { state: NodeState.NODE_STATE_DOWN, message: '', addr: n.status?.addr ?? '' } });
/** `node demote`: the desired role only; the node is still recorded as a manager. */
const asWorker = (n: Node): Node => ({ ...n, spec: { ...n.spec!, desiredRole: NodeRole.NODE_ROLE_WORKER } });
const joinedManager = (id: string): Node => createJoinedNode(id, NodeRole.NODE_ROLE_MANAGER, ['127.0.0.3' + id.slice(1)], 2377);

describe('managers demoted (desired role worker), up or down', () => {
  const m2 = ready(joinedManager('n2'));
  const m3 = joinedManager('n3');
  const voters = [7, raftIdForNode('n2'), raftIdForNode('n3')];

  it('a manager demoted while it is down is removed from the voters by the leader (the two others keep quorum)', () => {
    expect(voterRemovals([ready(first), m2, down(asWorker(m3))], voters, 7)).toEqual({ remove: [raftIdForNode('n3')], held: [] });
  });

  it('a manager demoted while it is up is removed too (it need not carry its demotion out itself)', () => {
    expect(voterRemovals([ready(first), m2, ready(asWorker(m3))], voters, 7).remove).toEqual([raftIdForNode('n3')]);
    // Two managers, one demoted: the leader alone is a majority of the one voter left.
    expect(voterRemovals([ready(first), asWorker(m2)], [7, raftIdForNode('n2')], 7).remove).toEqual([raftIdForNode('n2')]);
  });

  it('is held back while removing it would leave the reachable voters short of a majority, then removed', () => {
    // n2 went down after n3 (up) was demoted: {leader, n2 down} would have 1 reachable of 2.
    const held = voterRemovals([ready(first), down(m2), ready(asWorker(m3))], voters, 7);
    expect(held).toEqual({ remove: [], held: [raftIdForNode('n3')] });
    // Once n2 is back the removal goes ahead.
    expect(voterRemovals([ready(first), m2, ready(asWorker(m3))], voters, 7).remove).toEqual([raftIdForNode('n3')]);
  });

  it('removes unreachable voters first, and never more than keeps a majority reachable', () => {
    const m4 = joinedManager('n4');
    const m5 = joinedManager('n5');
    const five = [...voters, raftIdForNode('n4'), raftIdForNode('n5')];
    // n3 (up) and n4 (down) demoted; n5 down: n4 goes first, then n3 would leave {leader, n2, n5 down}: 2 of 3, fine.
    const plan = voterRemovals([ready(first), m2, ready(asWorker(m3)), down(asWorker(m4)), down(m5)], five, 7);
    expect(plan).toEqual({ remove: [raftIdForNode('n4'), raftIdForNode('n3')], held: [] });
    // n3 (up) demoted with n2 and n5 down: removing n3 would leave 2 reachable of 4: held.
    const tighter = voterRemovals([ready(first), down(m2), ready(asWorker(m3)), ready(m4), down(m5)], five, 7);
    expect(tighter).toEqual({ remove: [], held: [raftIdForNode('n3')] });
  });

  it('a manager being demoted is not added back as a voter once out', () => {
    expect(missingVoters([first, m2, asWorker(m3)], [7, raftIdForNode('n2')], [])).toEqual([]);
  });

  it('once out of the voters, a demoted manager is recorded as a worker without manager status; not before', () => {
    const demoted = asWorker(m3);
    expect(demotionsToSettle([first, m2, demoted], voters)).toEqual([]);
    expect(demotionsToSettle([first, m2, demoted], [7, raftIdForNode('n2')]).map((n) => n.id)).toEqual(['n3']);
    const settled = settledDemotion(demoted);
    expect(settled.role).toBe(NodeRole.NODE_ROLE_WORKER);
    expect(settled.managerStatus).toBeUndefined();
    expect(settled.spec?.desiredRole).toBe(NodeRole.NODE_ROLE_WORKER);
    expect(demotionsToSettle([settled], [7])).toEqual([]);
    // A manager that is not being demoted is never settled, voter or not (a join not yet added).
    expect(demotionsToSettle([first, m2, m3], [7])).toEqual([]);
  });
});
