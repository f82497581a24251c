// The manager services on a real 3-member Raft cluster (one mTLS nats-server, three members in
// this process, each with its own connection, WAL and set of services): only the leader's
// services work; when the leader goes away, the new leader's services take over from the
// replicated store — published ports rebuilt, replicas reconciled, failures restarted.
import { join } from 'node:path';
import { Network, Node, NodeAvailability, NodeState, PortProtocol, PublishMode, Service, TaskState, type Task } from '@flotilla/api';
import { AllocatorService } from '@flotilla/allocator';
import { RaftMember, TransactionBuilder, VersionConflict, localStoreAccess, type StoreAccess } from '@flotilla/raft';
import { SchedulerService } from '@flotilla/scheduler';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchestratorService } from '../../src/index.js';
import { logger } from './harness.js';

interface Manager {
  id: number;
  member: RaftMember;
  store: StoreAccess;
  services: [AllocatorService, SchedulerService, OrchestratorService];
  stopped: boolean;
}

let tmp: TempDir;
let nats: TestNats;
const managers: Manager[] = [];

beforeAll(async () => {
  tmp = await tempDir('flotilla-orch-failover-');
  const clients = [1, 2, 3].map((id) => ({ name: `m${id}`, cn: `member-${id}` }));
  nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients }) });
  for (const id of [1, 2, 3]) {
    const bus = await nats.connect(`m${id}`);
    const member = await RaftMember.start({ id, clusterId: 'fo', dataDir: join(tmp.path, `m${id}`), nc: bus.nc, bootstrap: [1, 2, 3], tickMs: 20, logger });
    const store = localStoreAccess(member);
    const o = { store, logger, nodeId: `mgr-${id}` };
    const services: Manager['services'] = [new AllocatorService(o), new SchedulerService(o), new OrchestratorService(o)];
    for (const s of services) await s.start();
    member.onLeaderChange((ch) => services.forEach((s) => void s.setLeader(ch.isLeader).catch(() => undefined)));
    managers.push({ id, member, store, services, stopped: false });
  }
});

afterAll(async () => {
  for (const m of managers) {
    if (m.stopped) continue;
    await Promise.all(m.services.map((s) => s.stop()));
    await m.member.stop();
  }
  await nats?.stop();
  await tmp?.cleanup();
});

async function leader(): Promise<Manager> {
  return waitFor(() => managers.find((m) => !m.stopped && m.member.isLeader && m.services.every((s) => s.isActive)), {
    what: 'a leader with active services',
    timeoutMs: 20_000,
  });
}

let txs = 0;
async function write(build: (view: ReturnType<StoreAccess['view']>, b: TransactionBuilder) => TransactionBuilder): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const m = await leader();
    try {
      await m.store.propose(build(m.store.view(), new TransactionBuilder(`fo-${txs++}`, Date.now())).build());
      return;
    } catch (err) {
      if (!(err instanceof VersionConflict) || attempt >= 20) throw err;
    }
  }
}

const node = (id: string): Node =>
  Node.fromPartial({
    id,
    spec: { annotations: { name: id, labels: {} }, availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE },
    description: { hostname: id, resources: { nanoCpus: 4e9, memoryBytes: 2 ** 33 } },
    status: { state: NodeState.NODE_STATE_READY },
  });

const service = (id: string, replicas: number, published: number): Service =>
  Service.fromPartial({
    id,
    specVersion: 1,
    spec: {
      annotations: { name: id },
      replicas,
      task: { container: { image: 'flotilla/busybox:latest' } },
      endpoint: { ports: [{ protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: published, publishMode: PublishMode.PUBLISH_MODE_INGRESS }] },
    },
  });

function assignedLive(m: Manager, serviceId: string): Task[] {
  return m.store
    .view()
    .tasks.byService(serviceId)
    .filter((t) => t.desiredState === TaskState.TASK_STATE_RUNNING && t.status?.state === TaskState.TASK_STATE_ASSIGNED);
}

describe('manager services across a leader change', () => {
  it('work only on the leader, and the new leader carries on from the replicated store', async () => {
    const first = await leader();
    for (const m of managers) if (m !== first) expect(m.services.some((s) => s.isActive)).toBe(false);

    // A service publishing through the routing mesh is allocated on the ingress network.
    const ingress = Network.fromPartial({ id: 'ingress', spec: { annotations: { name: 'ingress' }, driver: 'overlay', ingress: true, ipam: [{ subnet: '198.19.255.0/24', gateway: '', range: '' }] } });
    await write((_, b) => b.create('network', ingress).create('node', node('node-a')).create('node', node('node-b')).create('service', service('web', 3, 8080)));
    await waitFor(async () => assignedLive(await leader(), 'web').length === 3, { what: 'web: 3 tasks ASSIGNED' });
    expect(first.services[0].portOwner('tcp', 8080)).toBe('web');

    // The leader's process goes away: its services stop with it.
    first.stopped = true;
    await Promise.all(first.services.map((s) => s.stop()));
    await first.member.stop();

    const next = await leader();
    expect(next).not.toBe(first);
    expect(next.services[0].portOwner('tcp', 8080)).toBe('web'); // rebuilt from the store on activation

    // Scale up, fail a task, and ask for a port the old leader gave out.
    await write((v, b) => b.update('service', { ...v.services.get('web')!, spec: { ...v.services.get('web')!.spec!, replicas: 5 } }));
    await waitFor(() => assignedLive(next, 'web').length === 5, { what: 'web: 5 tasks ASSIGNED on the new leader' });
    const victim = assignedLive(next, 'web')[0]!;
    await write((v, b) => {
      const t = v.tasks.get(victim.id)!;
      return b.update('task', { ...t, status: { ...t.status!, state: TaskState.TASK_STATE_FAILED, timestamp: Date.now() } });
    });
    await waitFor(() => assignedLive(next, 'web').length === 5 && !assignedLive(next, 'web').some((t) => t.id === victim.id), {
      what: 'the failed task replaced',
    });
    await write((_, b) => b.create('service', service('clash', 1, 8080)));
    const err = await waitFor(() => next.store.view().tasks.byService('clash')[0]?.status?.err || undefined, { what: 'clash refused port 8080' });
    expect(err).toBe('allocating published ports of service clash: port 8080/tcp is already published by service web');

    // The remaining follower saw all of it through Raft but did none of the work.
    const follower = managers.find((m) => !m.stopped && m !== next)!;
    expect(follower.services.some((s) => s.isActive)).toBe(false);
    await waitFor(() => follower.member.appliedIndex >= next.member.appliedIndex, { what: 'the follower caught up' });
    expect(assignedLive(follower, 'web').map((t) => t.id).sort()).toEqual(assignedLive(next, 'web').map((t) => t.id).sort());
  });
});
