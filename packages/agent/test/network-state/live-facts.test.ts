import { Network, NodeNetworkState, type NetworkDbEndpoint } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { mergeLiveFacts, overlaysOf, type LiveNetworkFacts } from '../../src/index.js';

const net = (id: string, subnet: string, vni: number) =>
  Network.fromPartial({ id, spec: { annotations: { name: id } }, status: { ipam: [{ subnet, gateway: subnet.replace('0/24', '1') }], vxlanId: vni } });

const self = { nodeId: 'n1', addr: '198.18.0.11' };

/** Node n1 (this one) and n2 run web on network a; network b is nobody's group here. */
const dispatcherState = NodeNetworkState.fromPartial({
  sessionId: 's',
  sequence: 7,
  networks: [
    { network: net('a', '198.19.1.0/24', 4097), peerAddrs: ['198.18.0.12'] },
    { network: net('b', '198.19.2.0/24', 4098), peerAddrs: ['198.18.0.12'] },
  ],
  services: [
    {
      serviceId: 'web',
      serviceName: 'web',
      tasks: [
        { taskId: 't1', slot: 1, nodeId: 'n1', nodeAddr: '198.18.0.11', networks: [{ networkId: 'a', addresses: ['198.19.1.3/24'] }], serving: true },
        { taskId: 't2', slot: 2, nodeId: 'n2', nodeAddr: '198.18.0.12', networks: [{ networkId: 'a', addresses: ['198.19.1.4/24'] }], serving: true },
        { taskId: 't3', slot: 3, nodeId: 'n3', nodeAddr: '198.18.0.13', networks: [{ networkId: 'a', addresses: ['198.19.1.5/24'] }], serving: true },
      ],
    },
    {
      serviceId: 'db',
      serviceName: 'db',
      tasks: [{ taskId: 'd1', slot: 1, nodeId: 'n2', nodeAddr: '198.18.0.12', networks: [{ networkId: 'b', addresses: ['198.19.2.4/24'] }], serving: true }],
    },
  ],
});

const ep = (taskId: string, nodeId: string, ip: string, serviceId = 'web'): NetworkDbEndpoint => ({ taskId, serviceId, serviceName: serviceId, ip, nodeId });
const serving = (state: NodeNetworkState) =>
  Object.fromEntries(state.services.flatMap((s) => s.tasks.map((t) => [t.taskId, t.serving])));

describe('mergeLiveFacts', () => {
  it('without live facts the dispatcher state is used as it is', () => {
    expect(mergeLiveFacts(dispatcherState, new Map(), self)).toBe(dispatcherState);
  });

  it("a group member's tombstone takes its task out at once; nodes not (yet) authoritative keep the dispatcher's word", () => {
    const a: LiveNetworkFacts = {
      // n3 is not in the group (gossip declared it gone, or it never joined): the dispatcher speaks for it.
      members: ['n1', 'n2'],
      vteps: [
        { nodeId: 'n1', addr: '198.18.0.11' },
        { nodeId: 'n2', addr: '198.18.0.12' },
      ],
      // t2's row is gone (its owner wrote a tombstone): no longer serving, though the dispatcher says so.
      endpoints: [ep('t1', 'n1', '198.19.1.3')],
    };
    const merged = mergeLiveFacts(dispatcherState, new Map([['a', a]]), self);
    expect(serving(merged)).toEqual({ t1: true, t2: false, t3: true, d1: true });
    expect(merged.sequence).toBe(7);
    // The input is not changed.
    expect(serving(dispatcherState)).toEqual({ t1: true, t2: true, t3: true, d1: true });
  });

  it('a member whose VTEP row has not arrived is not authoritative yet', () => {
    const a: LiveNetworkFacts = { members: ['n1', 'n2'], vteps: [{ nodeId: 'n1', addr: '198.18.0.11' }], endpoints: [ep('t1', 'n1', '198.19.1.3')] };
    expect(serving(mergeLiveFacts(dispatcherState, new Map([['a', a]]), self))).toEqual({ t1: true, t2: true, t3: true, d1: true });
  });

  it("a row of a node that is not in the group (left, or gone in gossip) counts for nothing", () => {
    const a: LiveNetworkFacts = {
      members: ['n1'],
      vteps: [
        { nodeId: 'n1', addr: '198.18.0.11' },
        { nodeId: 'n4', addr: '198.18.0.14' },
      ],
      endpoints: [ep('t1', 'n1', '198.19.1.3'), ep('t9', 'n4', '198.19.1.9')],
    };
    const merged = mergeLiveFacts(dispatcherState, new Map([['a', a]]), self);
    expect(merged.services[0]!.tasks.map((t) => t.taskId)).toEqual(['t1', 't2', 't3']);
    expect(merged.networks[0]!.peerAddrs).toEqual(['198.18.0.12']);
  });

  it("a new node's VTEP and endpoint reach the overlay and the service before the dispatcher lists them", () => {
    const a: LiveNetworkFacts = {
      members: ['n1', 'n2', 'n5'],
      vteps: [
        { nodeId: 'n1', addr: '198.18.0.11' },
        { nodeId: 'n2', addr: '198.18.0.12' },
        { nodeId: 'n5', addr: '198.18.0.15' },
      ],
      endpoints: [ep('t1', 'n1', '198.19.1.3'), ep('t2', 'n2', '198.19.1.4'), ep('t5', 'n5', '198.19.1.8'), ep('x1', 'n5', '198.19.1.9', 'unknown-service')],
    };
    const merged = mergeLiveFacts(dispatcherState, new Map([['a', a]]), self);
    expect(merged.networks[0]!.peerAddrs).toEqual(['198.18.0.12', '198.18.0.15']);
    // Network b is in no group here: untouched.
    expect(merged.networks[1]).toEqual(dispatcherState.networks[1]);
    const web = merged.services.find((s) => s.serviceId === 'web')!;
    expect(web.tasks.find((t) => t.taskId === 't5')).toEqual({
      taskId: 't5',
      slot: 0,
      nodeId: 'n5',
      nodeAddr: '198.18.0.15',
      networks: [{ networkId: 'a', addresses: ['198.19.1.8/24'], aliases: [] }],
      serving: true,
    });
    // A service the managers have not told this node about gets nothing (its VIP is theirs to give).
    expect(merged.services.flatMap((s) => s.tasks).some((t) => t.taskId === 'x1')).toBe(false);
    // The overlay data path gets the new peer and its endpoint's forwarding entry.
    const overlay = overlaysOf(merged).get('a')!;
    expect(overlay.peers).toEqual(['198.18.0.12', '198.18.0.15']);
    expect(overlay.endpoints.map((e) => `${e.ip}@${e.node}`)).toContain('198.19.1.8@198.18.0.15');
  });
});
