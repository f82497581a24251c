import { Node, NodeRole, NodeState } from '@flotilla/api';
import { clusterSubjects } from '@flotilla/bus';
import { newNodeId } from '@flotilla/ca';
import { describe, expect, it } from 'vitest';
import { roleChangeRefusal } from '../src/control/node-role.js';
import { nodeView } from '../src/control/views.js';
import { isManagerNow, natsRouteKeysFor, natsUsersFor, votingNodeIds } from '../src/manager/nats-users.js';
import { promotedNode } from '../src/manager/node-objects.js';
import { raftIdForNode } from '../src/manager/raft-ids.js';
import { pendingPromotions } from '../src/manager/role-notices.js';
import { managerStateAfterPromotion, otherManagerAddrs, workerStateAfterDemotion } from '../src/swarm/role-change.js';
import type { SwarmState } from '../src/swarm/swarm-state.js';

const node = (id: string, role: NodeRole, opts: { desired?: NodeRole; ready?: boolean; addr?: string } = {}): Node =>
  Node.fromPartial({
    id,
    role,
    spec: { desiredRole: opts.desired ?? role },
    status: { state: opts.ready === false ? NodeState.NODE_STATE_DOWN : NodeState.NODE_STATE_READY, addr: '' },
    ...(role === NodeRole.NODE_ROLE_MANAGER ? { managerStatus: { raftId: raftIdForNode(id), addr: opts.addr ?? `${id}:2377` } } : {}),
    description: { hostname: `host-${id}` },
  });
const M = NodeRole.NODE_ROLE_MANAGER;
const W = NodeRole.NODE_ROLE_WORKER;

describe('demotion refusals', () => {
  it('refuses the last manager, whatever the workers', () => {
    const m1 = node('m1', M);
    const refusal = roleChangeRefusal([m1, node('w1', W), node('w2', W)], m1, W, []);
    expect(refusal?.message).toBe('cannot demote the last manager of the swarm');
  });

  it('counts a manager already being demoted as gone', () => {
    const m1 = node('m1', M);
    expect(roleChangeRefusal([m1, node('m2', M, { desired: W })], m1, W, [])?.message).toBe('cannot demote the last manager of the swarm');
  });

  it('refuses when the managers left that are reachable are no majority of them', () => {
    const m1 = node('m1', M);
    // 3 managers left after the demotion, only 1 of them Ready: quorum of 3 is 2.
    const nodes = [m1, node('m2', M), node('m3', M, { ready: false }), node('m4', M, { ready: false })];
    expect(roleChangeRefusal(nodes, m1, W, [])?.message).toMatch(/only 1 of the 3 other managers are reachable, and the swarm would lose quorum/);
    // 2 of 3 Ready is enough.
    const healthier = [m1, node('m2', M), node('m3', M), node('m4', M, { ready: false })];
    expect(roleChangeRefusal(healthier, m1, W, [])).toBeUndefined();
  });

  it('does not count managers dropped by --force-new-cluster (denied): they hold no vote', () => {
    const m1 = node('m1', M);
    const nodes = [m1, node('m2', M), node('m3', M, { ready: false }), node('m4', M, { ready: false })];
    expect(roleChangeRefusal(nodes, m1, W, ['m3', 'm4'])).toBeUndefined();
    // The last voter stays the last voter, whatever dropped managers are still listed.
    expect(roleChangeRefusal([m1, node('m3', M, { ready: false })], m1, W, ['m3'])?.message).toBe('cannot demote the last manager of the swarm');
  });

  it('lets a promotion, and a demotion of a worker (nothing to do), through; refuses an unknown role', () => {
    const w1 = node('w1', W);
    expect(roleChangeRefusal([node('m1', M), w1], w1, M, [])).toBeUndefined();
    expect(roleChangeRefusal([node('m1', M), w1], w1, W, [])).toBeUndefined();
    expect(roleChangeRefusal([node('m1', M), w1], w1, NodeRole.UNRECOGNIZED, [])?.message).toMatch(/invalid role/);
  });
});

describe('promotion bookkeeping', () => {
  it('every node wanted as a manager is told (a worker recorded as a manager too), no node wanted as a worker', () => {
    const nodes = [node('m1', M), node('w1', W, { desired: M }), node('w2', W), node('m2', M, { desired: W })];
    expect(pendingPromotions(nodes).map((n) => n.id)).toEqual(['m1', 'w1']);
  });

  it('a promoted node becomes a manager with its derived Raft id on the managers\' port', () => {
    const promoted = promotedNode(node('w1', W, { desired: M }), ['10.0.0.7', 'localhost'], 2377);
    expect(promoted.role).toBe(M);
    expect(promoted.managerStatus).toMatchObject({ raftId: raftIdForNode('w1'), addr: '10.0.0.7:2377', leader: false });
    expect(promoted.spec?.desiredRole).toBe(M);
  });

  it('a manager being demoted keeps manager rights on its own nats-server until it stops', () => {
    const subjects = clusterSubjects('c1');
    const [m1, m2] = [newNodeId(), newNodeId()];
    const users = natsUsersFor(subjects, [node(m1, M), node(m2, W, { desired: W })], [], m2);
    const self = users.filter((u) => u.user === m2);
    expect(self).toHaveLength(1);
    expect(self[0]!.permissions).toEqual(natsUsersFor(subjects, [], [], m2)[0]!.permissions);
    // Seen from the other manager's server, the demoted node is a worker already.
    const fromOther = natsUsersFor(subjects, [node(m1, M), node(m2, W, { desired: W })], [], m1);
    expect(fromOther.find((u) => u.user === m2)!.permissions).not.toEqual(self[0]!.permissions);
  });
});

const workerState: SwarmState = {
  clusterId: 'c1',
  nodeId: 'w1',
  role: W,
  raftId: 0,
  advertiseHost: '10.0.0.7',
  listenAddr: '',
  natsPort: 0,
  natsClusterPort: 0,
  natsServers: ['tls://10.0.0.1:4222'],
  joinedVia: '10.0.0.1:2377',
};

describe('role change states', () => {
  it('a promoted worker uses the same ports as the manager it joined through, routed to it', () => {
    const state = managerStateAfterPromotion(workerState, { client: 0, cluster: 6222 });
    expect(state).toMatchObject({
      role: M,
      raftId: raftIdForNode('w1'),
      listenAddr: '10.0.0.7:2377',
      natsPort: 4222,
      natsClusterPort: 6222,
      natsRoutes: ['nats-route://10.0.0.1:6222'],
      natsServers: [],
    });
  });

  it('refuses a promotion without a fixed route port or a known manager', () => {
    expect(() => managerStateAfterPromotion(workerState, { client: 4222, cluster: 0 })).toThrow(/--nats-cluster-port/);
    const { joinedVia: _none, ...lost } = workerState;
    expect(() => managerStateAfterPromotion(lost, { client: 4222, cluster: 6222 })).toThrow(/does not know the manager/);
  });

  it('a demoted manager talks to the other managers\' NATS servers and renews through them', () => {
    const manager = managerStateAfterPromotion(workerState, { client: 4222, cluster: 6222 });
    const addrs = otherManagerAddrs([node('m1', M, { addr: '10.0.0.1:2377' }), node('m2', M, { addr: '10.0.0.2:2377' }), node('w1', M), node('w2', W)], 'w1');
    expect(addrs).toEqual(['10.0.0.1:2377', '10.0.0.2:2377']);
    expect(workerStateAfterDemotion(manager, addrs)).toEqual({
      clusterId: 'c1',
      nodeId: 'w1',
      role: W,
      raftId: 0,
      advertiseHost: '10.0.0.7',
      listenAddr: '',
      natsPort: 0,
      natsClusterPort: 0,
      natsServers: ['tls://10.0.0.1:4222', 'tls://10.0.0.2:4222'],
      joinedVia: '10.0.0.1:2377',
    });
    expect(() => workerStateAfterDemotion(manager, [])).toThrow(/no other manager/);
  });
});

describe('node ls MANAGER STATUS', () => {
  it('a manager whose node is Down is unreachable; the leader and this manager never are; workers are no managers', () => {
    const m1 = node('m1', M);
    const down = node('m2', M, { ready: false });
    expect(nodeView(down, 'm1', raftIdForNode('m1'))).toMatchObject({ leader: false, reachable: false });
    expect(nodeView(node('m3', M), 'm1', raftIdForNode('m1'))).toMatchObject({ leader: false, reachable: true });
    expect(nodeView(m1, 'm1', raftIdForNode('m1'))).toMatchObject({ self: true, leader: true, reachable: true });
    expect(nodeView(node('m1', M, { ready: false }), 'm1', 0)).toMatchObject({ reachable: true });
    expect(nodeView(node('w1', W), 'm1', raftIdForNode('m1'))).toMatchObject({ leader: false, reachable: false });
  });
});

describe('route keys through a demotion', () => {
  const key = (c: string): string => c.repeat(64);
  const LATER = Date.now() + 86_400_000;
  const withKeys = (n: Node, managerKeys: string[]): Node => ({
    ...n,
    tlsInfo: { certIssuerSubject: '', certNotAfter: 0, publicKeySha256: managerKeys[0] ?? '', managerKeys: managerKeys.map((k) => ({ publicKeySha256: k, notAfter: LATER })) },
  });

  it("a demoted manager's manager key stays pinned while it is a Raft voter, then goes", () => {
    const [m1, d1] = [newNodeId(), newNodeId()];
    // d1 was re-issued a worker certificate (its manager key kept) and marked a worker: no managerStatus any more.
    const { managerStatus: _gone, ...demotedBase } = node(d1, M);
    const demoted = withKeys({ ...demotedBase, role: W }, [key('a')]);
    const nodes = [withKeys(node(m1, M), [key('1')]), demoted];
    const own = key('0');
    // Its Raft id is derived from its node id, so it is still recognised among the voters.
    expect(votingNodeIds(nodes, [raftIdForNode(m1), raftIdForNode(d1)])).toEqual([m1, d1]);
    expect(natsRouteKeysFor(nodes, [], votingNodeIds(nodes, [raftIdForNode(m1), raftIdForNode(d1)]), own)).toEqual([own, key('1'), key('a')]);
    expect(natsRouteKeysFor(nodes, [], votingNodeIds(nodes, [raftIdForNode(m1)]), own)).toEqual([own, key('1')]);
    // Removed from the swarm: never, voter or not.
    expect(natsRouteKeysFor(nodes, [d1], [m1, d1], own)).toEqual([own, key('1')]);
  });
});

describe('manager-only calls follow the store, not the certificate', () => {
  it('a manager may; a manager being demoted, a demoted one, a worker and an unknown node may not; a promotion counts once recorded', () => {
    expect(isManagerNow(node('m1', M))).toBe(true);
    expect(isManagerNow(node('m1', M, { desired: W }))).toBe(false);
    expect(isManagerNow(node('d1', W))).toBe(false);
    expect(isManagerNow(undefined)).toBe(false);
    // Promotion asked for, the manager certificate not issued yet: still a worker.
    expect(isManagerNow(node('w1', W, { desired: M }))).toBe(false);
    expect(isManagerNow(node('w1', M, { desired: M }))).toBe(true);
  });
});
