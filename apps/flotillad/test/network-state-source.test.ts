// StoreNetworkStateSource over a real single-member Raft store (real nats-server with mutual TLS,
// real WAL in a temp dir): what the dispatcher reads and the events it is told, and the rule that
// keeps loopback-advertising nodes from plumbing overlays.
import { join } from 'node:path';
import { Network, Node, NodeState, Service, Task, TaskState, type StoreEvent } from '@flotilla/api';
import { NetworkIndex } from '@flotilla/dispatcher';
import { RaftMember } from '@flotilla/raft';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreNetworkStateSource } from '../src/manager/network-state-source.js';
import { writeStore } from '../src/manager/store-writer.js';
import { overlayOptions } from '../src/swarm/local-agent.js';

const log = pino({ level: 'silent' });
let tmp: TempDir;
let nats: TestNats;
let member: RaftMember;

beforeAll(async () => {
  tmp = await tempDir('flotillad-netsource-');
  nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }] }) });
  const bus = await nats.connect('m1');
  member = await RaftMember.start({ id: 1, clusterId: 'netsrc', dataDir: join(tmp.path, 'raft'), nc: bus.nc, bootstrap: [1], tickMs: 20, logger: log });
  await waitFor(() => member.isLeader, { what: 'the single member to lead' });
}, 60_000);

afterAll(async () => {
  await member?.stop();
  await nats?.stop();
  await tmp?.cleanup();
});

describe('StoreNetworkStateSource', () => {
  it('reads networks, services, tasks and nodes of one version and reports their changes, nothing else', async () => {
    const source = new StoreNetworkStateSource(member, log);
    const events: StoreEvent[] = [];
    let lost = 0;
    const watch = source.watch((e) => void events.push(e), () => void lost++);
    try {
      await writeStore(member, (_view, tx) => {
        tx.create('network', Network.fromPartial({ id: 'na', spec: { annotations: { name: 'front' } }, status: { ipam: [{ subnet: '198.19.1.0/24', gateway: '198.19.1.1' }], vxlanId: 4097 } }));
        tx.create('node', Node.fromPartial({ id: 'n1', status: { state: NodeState.NODE_STATE_READY, addr: '198.18.0.11' } }));
        tx.create('node', Node.fromPartial({ id: 'n2', status: { state: NodeState.NODE_STATE_READY, addr: '198.18.0.12' } }));
        tx.create('service', Service.fromPartial({ id: 'web', spec: { annotations: { name: 'web' }, task: { networks: [{ target: 'front' }] } } }));
        tx.create('task', Task.fromPartial({ id: 't1', serviceId: 'web', slot: 1, nodeId: 'n1', desiredState: TaskState.TASK_STATE_RUNNING, status: { state: TaskState.TASK_STATE_RUNNING }, networks: [{ networkId: 'na', addresses: ['198.19.1.3/24'] }] }));
        tx.create('task', Task.fromPartial({ id: 't2', serviceId: 'web', slot: 2, nodeId: 'n2', desiredState: TaskState.TASK_STATE_RUNNING, status: { state: TaskState.TASK_STATE_ASSIGNED }, networks: [{ networkId: 'na', addresses: ['198.19.1.4/24'] }] }));
      });
      await waitFor(() => events.length >= 6, { what: 'six store events' });
      expect(events.map((e) => e.object?.kind?.$case).sort()).toEqual(['network', 'node', 'node', 'service', 'task', 'task']);
      const state = new NetworkIndex(source.read()).stateOf('n1');
      expect(state.networks.map((n) => [n.network?.id, n.peerAddrs])).toEqual([['na', ['198.18.0.12']]]);
      expect(state.services[0]!.tasks.map((t) => [t.taskId, t.nodeAddr, t.serving])).toEqual([
        ['t1', '198.18.0.11', true],
        ['t2', '198.18.0.12', false],
      ]);
      expect(lost).toBe(0);
    } finally {
      watch.stop();
    }
  }, 60_000);
});

describe('overlayOptions', () => {
  it('plumbs overlays with the advertise address, but not on a node advertising a loopback address', () => {
    expect(overlayOptions('198.18.0.11', log)).toEqual({ overlay: { localAddr: '198.18.0.11' } });
    expect(overlayOptions('127.0.0.21', log)).toEqual({});
    expect(overlayOptions('', log)).toEqual({});
  });
});
