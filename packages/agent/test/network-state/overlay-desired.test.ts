import { Network, NodeNetworkState, Task, TaskState } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { isNewerState, networksInUse, overlaysOf, overlayRefOf, taskAttachments, macForIp, newRecord } from '../../src/index.js';

const net = (id: string, subnet: string, gateway: string, vni: number) =>
  Network.fromPartial({ id, spec: { annotations: { name: id } }, status: { ipam: [{ subnet, gateway }], vxlanId: vni } });

describe('overlaysOf', () => {
  it('turns a NodeNetworkState into one desired overlay per network, endpoints from every service task on it', () => {
    const state = NodeNetworkState.fromPartial({
      sessionId: 's',
      sequence: 3,
      networks: [
        { network: net('a', '198.19.1.0/24', '198.19.1.1', 4097), peerAddrs: ['198.18.0.12'] },
        { network: net('b', '198.19.2.0/24', '198.19.2.1/24', 4098), peerAddrs: [] },
        // not allocated yet: no VXLAN id, left out
        { network: Network.fromPartial({ id: 'c', status: { ipam: [{ subnet: '198.19.3.0/24', gateway: '198.19.3.1' }] } }), peerAddrs: [] },
      ],
      services: [
        {
          serviceId: 'web',
          tasks: [
            { taskId: 't2', nodeAddr: '198.18.0.12', networks: [{ networkId: 'a', addresses: ['198.19.1.4/24'] }, { networkId: 'b', addresses: ['198.19.2.4/24'] }] },
            { taskId: 't1', nodeAddr: '198.18.0.11', networks: [{ networkId: 'a', addresses: ['198.19.1.3/24'] }] },
            // no node address yet: no entry can point anywhere
            { taskId: 't9', nodeAddr: '', networks: [{ networkId: 'a', addresses: ['198.19.1.9/24'] }] },
          ],
        },
      ],
    });
    const out = overlaysOf(state);
    expect([...out.keys()]).toEqual(['a', 'b']);
    expect(out.get('a')).toEqual({
      network: { id: 'a', vni: 4097, subnet: '198.19.1.0/24', gateway: '198.19.1.1' },
      peers: ['198.18.0.12'],
      endpoints: [
        { ip: '198.19.1.3', mac: macForIp('198.19.1.3'), node: '198.18.0.11' },
        { ip: '198.19.1.4', mac: macForIp('198.19.1.4'), node: '198.18.0.12' },
      ],
    });
    expect(out.get('b')!.network.gateway).toBe('198.19.2.1');
    expect(out.get('b')!.endpoints.map((e) => e.ip)).toEqual(['198.19.2.4']);
    expect(overlayRefOf(Network.fromPartial({ id: 'x' }))).toBeUndefined();
  });
});

describe('task attachments and networks in use', () => {
  const task = (id: string, nets: Record<string, string>) =>
    Task.fromPartial({ id, status: { state: TaskState.TASK_STATE_ASSIGNED }, networks: Object.entries(nets).map(([networkId, a]) => ({ networkId, addresses: [a] })) });

  it('a task\'s networks in order, addresses without prefix; attachments without an address skipped', () => {
    const t = task('t', { a: '198.19.1.3/24', b: '198.19.2.3/24' });
    t.networks.push({ networkId: 'c', addresses: [], aliases: [] });
    expect(taskAttachments(t)).toEqual([
      { networkId: 'a', ip: '198.19.1.3' },
      { networkId: 'b', ip: '198.19.2.3' },
    ]);
  });

  it('networks are in use while a container exists or is being created', () => {
    const created = { ...newRecord(task('t1', { a: '198.19.1.3/24' })), containerId: 'c1' };
    const creating = { ...newRecord(task('t2', { b: '198.19.2.3/24' })), pending: 'create' as const };
    const removed = newRecord(task('t3', { c: '198.19.3.3/24' }));
    expect([...networksInUse([created, creating, removed])].sort()).toEqual(['a', 'b']);
  });
});

describe('isNewerState', () => {
  it('applies states of the current session only, newer sequences only', () => {
    expect(isNewerState({ sessionId: 's1', sequence: 1 }, undefined, 's1')).toBe(true);
    expect(isNewerState({ sessionId: 's1', sequence: 1 }, undefined, undefined)).toBe(false);
    expect(isNewerState({ sessionId: 's0', sequence: 9 }, undefined, 's1')).toBe(false);
    expect(isNewerState({ sessionId: 's1', sequence: 2 }, { sessionId: 's1', sequence: 2 }, 's1')).toBe(false);
    expect(isNewerState({ sessionId: 's1', sequence: 3 }, { sessionId: 's1', sequence: 2 }, 's1')).toBe(true);
    // a new session starts again at 1 over a higher sequence of the old one
    expect(isNewerState({ sessionId: 's2', sequence: 1 }, { sessionId: 's1', sequence: 7 }, 's2')).toBe(true);
  });
});
