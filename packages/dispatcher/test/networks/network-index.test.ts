import { NodeState, StoreOp, TaskState, type StoreEvent } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { NetworkChanges } from '../../src/networks/network-change.js';
import { NetworkIndex, type NetworkInputs } from '../../src/networks/network-index.js';
import { node, overlay, service, task } from '../support/network-objects.js';

const ING = overlay('ing', 'ingress', '198.19.0.0/24', 4096, true);
const A = overlay('na', 'front', '198.19.1.0/24', 4097);
const B = overlay('nb', 'back', '198.19.2.0/24', 4098);

function inputs(): NetworkInputs {
  return {
    networks: [ING, A, B],
    nodes: [node('n1', '198.18.5.1'), node('n2', '198.18.5.2'), node('n3', '198.18.5.3'), node('n4', '198.18.5.4', NodeState.NODE_STATE_DOWN)],
    services: [
      service('web', 'web', { networks: ['front'], vips: { na: '198.19.1.2/24' } }),
      service('pub', 'pub', { publish: 18080, vips: { ing: '198.19.0.2/24' } }),
      service('db', 'db', { networks: ['nb'], vips: { nb: '198.19.2.2/24' } }),
    ],
    tasks: [
      task('w1', 'web', 'n1', { na: '198.19.1.3/24' }),
      task('w2', 'web', 'n2', { na: '198.19.1.4/24' }, TaskState.TASK_STATE_STARTING, TaskState.TASK_STATE_RUNNING, 2),
      task('w3', 'web', 'n3', { na: '198.19.1.5/24' }, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_SHUTDOWN, 3),
      // ended: neither an endpoint nor a reason for n4 to have the network
      task('w0', 'web', 'n4', { na: '198.19.1.9/24' }, TaskState.TASK_STATE_FAILED),
      // not placed yet
      task('w4', 'web', '', { na: '198.19.1.10/24' }, TaskState.TASK_STATE_PENDING),
      task('p1', 'pub', 'n3', { ing: '198.19.0.3/24' }),
      task('d1', 'db', 'n3', { nb: '198.19.2.3/24' }),
    ],
  };
}

describe('NetworkIndex.stateOf', () => {
  const index = new NetworkIndex(inputs());

  it('gives a node the networks of its live tasks and always ingress, with the other nodes as peers', () => {
    const s = index.stateOf('n1');
    expect(s.networks.map((n) => [n.network?.id, n.peerAddrs])).toEqual([
      ['ing', ['198.18.5.2', '198.18.5.3']], // every READY node but itself (n4 is down)
      ['na', ['198.18.5.2', '198.18.5.3']], // n2 and n3 have live tasks on it, n4's task ended
    ]);
    expect(s.networks[1]!.network).toEqual(A);
  });

  it('lists the services on those networks and every ingress-published one, with live tasks and serving', () => {
    const s = index.stateOf('n1');
    expect(s.services.map((x) => x.serviceName)).toEqual(['pub', 'web']);
    const web = s.services.find((x) => x.serviceId === 'web')!;
    expect(web.endpoint?.virtualIps).toEqual([{ networkId: 'na', addr: '198.19.1.2/24' }]);
    expect(web.tasks.map((t) => [t.taskId, t.slot, t.nodeId, t.nodeAddr, t.networks[0]?.addresses[0], t.serving])).toEqual([
      ['w1', 1, 'n1', '198.18.5.1', '198.19.1.3/24', true],
      ['w2', 2, 'n2', '198.18.5.2', '198.19.1.4/24', false], // starting
      ['w3', 3, 'n3', '198.18.5.3', '198.19.1.5/24', false], // running but desired shutdown
    ]);
  });

  it('a node with no tasks still gets ingress and the ingress services, not the others', () => {
    const s = index.stateOf('n9');
    expect(s.networks.map((n) => n.network?.id)).toEqual(['ing']);
    expect(s.services.map((x) => x.serviceId)).toEqual(['pub']);
  });

  it('a node with tasks on several networks gets all of them and their services', () => {
    const s = index.stateOf('n3');
    expect(s.networks.map((n) => [n.network?.id, n.peerAddrs])).toEqual([
      ['ing', ['198.18.5.1', '198.18.5.2']],
      ['na', ['198.18.5.1', '198.18.5.2']],
      ['nb', []],
    ]);
    expect(s.services.map((x) => x.serviceId)).toEqual(['db', 'pub', 'web']);
  });

  it('is deterministic whatever the input order', () => {
    const i = inputs();
    const shuffled: NetworkInputs = {
      networks: [...i.networks].reverse(),
      nodes: [...i.nodes].reverse(),
      services: [...i.services].reverse(),
      tasks: [...i.tasks].reverse(),
    };
    expect(new NetworkIndex(shuffled).stateOf('n3')).toEqual(index.stateOf('n3'));
  });
});

describe('NetworkChanges.affected', () => {
  const index = new NetworkIndex(inputs());
  const nodes = ['n1', 'n2', 'n3', 'n9'];
  const previous = (id: string) => index.networkIdsOfNode(id);
  const ev = (kind: 'task' | 'service' | 'network' | 'node', value: unknown): StoreEvent =>
    ({ index: 1, op: StoreOp.STORE_OP_UPDATE, object: { kind: { $case: kind, value } } }) as StoreEvent;

  it('a task on a private network touches the nodes that have that network only', () => {
    const c = new NetworkChanges();
    c.add(ev('task', task('d1', 'db', 'n3', { nb: '198.19.2.3/24' }, TaskState.TASK_STATE_SHUTDOWN)));
    expect(c.affected(index, nodes, previous)).toEqual(['n3']);
    const c2 = new NetworkChanges();
    c2.add(ev('task', task('w1', 'web', 'n1', { na: '198.19.1.3/24' })));
    expect(c2.affected(index, nodes, previous)).toEqual(['n1', 'n2', 'n3']);
  });

  it('a task of an ingress-published service, a node, or the ingress network touch every node', () => {
    for (const e of [ev('task', task('p1', 'pub', 'n3', { ing: '198.19.0.3/24' })), ev('node', node('n2', '198.18.5.7')), ev('network', ING)]) {
      const c = new NetworkChanges();
      c.add(e);
      expect(c.affected(index, nodes, previous)).toEqual(nodes);
    }
  });

  it('a task on no network touches no node (most task events)', () => {
    const c = new NetworkChanges();
    c.add(ev('task', task('x1', 'plain', 'n1', {})));
    expect(c.empty).toBe(true);
    expect(c.affected(index, nodes, previous)).toEqual([]);
  });

  it('a node that just lost its last task on a network is still looked at (it must drop it)', () => {
    const c = new NetworkChanges();
    c.add(ev('network', B));
    expect(c.affected(index, nodes, (id) => (id === 'n1' ? ['ing', 'nb'] : previous(id)))).toEqual(['n1', 'n3']);
  });
});
