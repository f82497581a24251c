// The allocator service on a real single-member Raft store: NEW tasks wanted RUNNING move to
// PENDING once their service's published ports and their network addresses are allocated; port
// conflicts keep tasks NEW with the reason; the tables are rebuilt from the store on a new leader.
import { Network, PortProtocol, PublishMode, Service, Task, TaskState, type PortConfig } from '@flotilla/api';
import { waitFor } from '@flotilla/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AllocatorService, DYNAMIC_PORT_RANGE } from '../../src/index.js';
import { logger, startEnv, startSolo, stopEnv, type Env, type Solo } from './solo-member.js';

let env: Env;
let solo: Solo;
let allocator: AllocatorService;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await stopEnv(env);
});
beforeEach(async () => {
  solo = await startSolo(env);
  // Services publishing through the routing mesh need the ingress network.
  await solo.write((b) =>
    b.create('network', Network.fromPartial({ id: 'ingress', spec: { annotations: { name: 'ingress' }, driver: 'overlay', ingress: true, ipam: [{ subnet: '198.19.255.0/24', gateway: '', range: '' }] } })),
  );
  allocator = new AllocatorService({ store: solo.store, logger, nodeId: 'mgr-1' });
  await allocator.start();
  await allocator.setLeader(true);
});
afterEach(async () => {
  await allocator?.stop();
  await solo?.member.stop();
});

function service(id: string, ports: Array<Partial<PortConfig>> = []): Service {
  return Service.fromPartial({
    id,
    specVersion: 1,
    spec: { annotations: { name: id }, replicas: 1, task: { container: { image: 'flotilla/busybox:latest' } }, endpoint: ports.length ? { ports } : undefined },
  });
}

function newTask(id: string, serviceId: string, networks: string[] = []): Task {
  return Task.fromPartial({
    id,
    serviceId,
    slot: 1,
    spec: { container: { image: 'flotilla/busybox:latest' }, networks: networks.map((target) => ({ target, aliases: [] })) },
    status: { state: TaskState.TASK_STATE_NEW, message: 'created', timestamp: Date.now() },
    desiredState: TaskState.TASK_STATE_RUNNING,
  });
}

const task = (id: string): Task | undefined => solo.store.view().tasks.get(id);
const pending = (id: string): boolean => task(id)?.status?.state === TaskState.TASK_STATE_PENDING;
const tcp = (target: number, published = 0): Partial<PortConfig> => ({
  protocol: PortProtocol.PORT_PROTOCOL_TCP,
  targetPort: target,
  publishedPort: published,
  publishMode: PublishMode.PUBLISH_MODE_INGRESS,
});

describe('AllocatorService', () => {
  it('moves a task that needs nothing to PENDING', async () => {
    await solo.write((b) => b.create('service', service('plain')).create('task', newTask('t-1', 'plain')));
    await waitFor(() => pending('t-1'), { what: 't-1 PENDING' });
    expect(task('t-1')!.status!.err).toBe('');
    expect(task('t-1')!.networks).toEqual([]);
  });

  it('claims published ports cluster-wide for the service, refuses a second owner, and hands the port over after a delete', async () => {
    await solo.write((b) => b.create('service', service('svc-a', [tcp(80, 8080), tcp(443)])).create('task', newTask('a-1', 'svc-a')));
    await waitFor(() => pending('a-1'), { what: 'a-1 PENDING' });
    const endpoint = solo.store.view().services.get('svc-a')!.endpoint!;
    expect(endpoint.ports.map((p) => [p.targetPort, p.publishedPort])).toEqual([
      [80, 8080],
      [443, DYNAMIC_PORT_RANGE.first],
    ]);
    expect(task('a-1')!.endpoint!.ports.map((p) => p.publishedPort)).toEqual([8080, DYNAMIC_PORT_RANGE.first]);
    expect(allocator.portOwner('tcp', 8080)).toBe('svc-a');

    await solo.write((b) => b.create('service', service('svc-b', [tcp(8000, 8080)])).create('task', newTask('b-1', 'svc-b')));
    const err = await waitFor(() => task('b-1')?.status?.err || undefined, { what: 'b-1 to say why it waits' });
    expect(err).toBe('allocating published ports of service svc-b: port 8080/tcp is already published by service svc-a');
    expect(task('b-1')!.status!.state).toBe(TaskState.TASK_STATE_NEW);
    expect(solo.store.view().services.get('svc-b')!.endpoint).toBeUndefined();

    await solo.write((b) => b.delete('service', solo.store.view().services.get('svc-a')!));
    await waitFor(() => pending('b-1'), { what: 'b-1 PENDING once svc-a is gone' });
    expect(allocator.portOwner('tcp', 8080)).toBe('svc-b');
    expect(allocator.portOwner('tcp', DYNAMIC_PORT_RANGE.first)).toBeUndefined();
    expect(task('b-1')!.status!.err).toBe('');
  });

  it('rebuilds its port table from the store when it becomes leader again', async () => {
    await solo.write((b) =>
      b
        .create('service', service('svc-a', [tcp(80, 8080)]))
        .create('task', newTask('a-1', 'svc-a'))
        .create('service', service('svc-x', [tcp(90, 9090)]))
        .create('task', newTask('x-1', 'svc-x')),
    );
    await waitFor(() => pending('a-1') && pending('x-1'), { what: 'a-1 and x-1 PENDING' });
    await allocator.setLeader(false);
    expect(allocator.isActive).toBe(false);
    // While another manager leads: svc-a goes away (its port is free) and two services ask for ports.
    await solo.write((b) => b.delete('service', solo.store.view().services.get('svc-a')!));
    await solo.write((b) =>
      b
        .create('service', service('svc-b', [tcp(81, 8080)]))
        .create('task', newTask('b-1', 'svc-b'))
        .create('service', service('svc-c', [tcp(91, 9090)]))
        .create('task', newTask('c-1', 'svc-c')),
    );
    expect(task('b-1')!.status!.state).toBe(TaskState.TASK_STATE_NEW);

    await allocator.setLeader(true);
    await waitFor(() => pending('b-1'), { what: 'b-1 PENDING with the port svc-a left' });
    expect(allocator.portOwner('tcp', 8080)).toBe('svc-b');
    const err = await waitFor(() => task('c-1')?.status?.err || undefined, { what: 'c-1 refused after the rebuild' });
    expect(err).toBe('allocating published ports of service svc-c: port 9090/tcp is already published by service svc-x');
    expect(allocator.portOwner('tcp', 9090)).toBe('svc-x');
  });

  it('gives tasks an address on each network and holds them while a network has no subnet', async () => {
    const net = (id: string, subnet: string, status: boolean): Network =>
      Network.fromPartial({
        id,
        spec: { annotations: { name: `${id}-name` }, driver: 'overlay', ipam: [{ subnet, gateway: '', range: '' }] },
        status: status ? { ipam: [{ subnet, gateway: '198.19.9.1', range: '' }], vxlanId: 4200 } : undefined,
      });
    // net-2 asks for a subnet inside net-1's: the allocator refuses it, so it has none.
    await solo.write((b) => b.create('service', service('web')).create('network', net('net-1', '198.19.9.0/24', true)).create('network', net('net-2', '198.19.9.128/25', false)));
    await solo.write((b) => b.create('task', newTask('t-1', 'web', ['net-1-name'])).create('task', newTask('t-2', 'web', ['net-1', 'net-2'])));
    await waitFor(() => pending('t-1'), { what: 't-1 PENDING' });
    expect(task('t-1')!.networks).toEqual([{ networkId: 'net-1', addresses: ['198.19.9.2/24'], aliases: [] }]);
    const why = await waitFor(() => task('t-2')?.status?.err || undefined, { what: 't-2 to say why it waits' });
    expect(why).toBe('network net-2 has no subnet allocated yet');
    expect(allocator.networkError('net-2')).toBe('network net-2-name: subnet 198.19.9.128/25 overlaps subnet 198.19.9.0/24 of network net-1-name');

    const n2 = solo.store.view().networks.get('net-2')!;
    await solo.write((b) => b.update('network', { ...n2, spec: { ...n2.spec!, ipam: [{ subnet: '198.19.10.0/24', gateway: '', range: '' }] } }));
    await waitFor(() => pending('t-2'), { what: 't-2 PENDING once net-2 has a subnet' });
    expect(task('t-2')!.networks.map((a) => a.addresses[0])).toEqual(['198.19.9.3/24', '198.19.10.2/24']);
  });
});
