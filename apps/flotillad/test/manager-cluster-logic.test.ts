import { describe, expect, it } from 'vitest';
import { NodeRole } from '@flotilla/api';
import { newNodeId } from '@flotilla/ca';
import { createInitNode, createJoinedNode } from '../src/manager/node-objects.js';
import { departedVoters, missingVoters } from '../src/manager/manager-voters.js';
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
    const m2 = createJoinedNode('n2', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.32'], 2377);
    const demoted = { ...createJoinedNode('n3', NodeRole.NODE_ROLE_MANAGER, ['127.0.0.33'], 2377), role: NodeRole.NODE_ROLE_WORKER };
    const voters = [7, raftIdForNode('n2'), raftIdForNode('n3')];
    expect(departedVoters([first, m2, demoted], voters, 7)).toEqual([raftIdForNode('n3')]);
    expect(departedVoters([m2], voters, 7)).toEqual([raftIdForNode('n3')]);
  });
});
