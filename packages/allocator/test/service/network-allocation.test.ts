// Network and VIP allocation by the allocator service on a real single-member Raft store: networks
// get a subnet, gateway and VXLAN id from the cluster's default address pool (explicit subnets
// checked for overlap), services a VIP per network (ingress too when they publish through the
// routing mesh, none in dnsrr mode), released when the service goes or leaves the network; the
// tables are rebuilt from the store on a new leader.
import { Cluster, EndpointMode, Network, PortProtocol, PublishMode, Service, Task, TaskState, type NetworkSpec } from '@flotilla/api';
import { waitFor } from '@flotilla/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AllocatorService } from '../../src/index.js';
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
  // The test pool: no test packet may ever carry a private-range address.
  await solo.write((b) =>
    b.create('cluster', Cluster.fromPartial({ id: 'c1', spec: { annotations: { name: 'default' }, networkPool: { defaultAddrPool: ['198.19.0.0/16'], subnetSize: 24 } } })),
  );
  allocator = new AllocatorService({ store: solo.store, logger, nodeId: 'mgr-1' });
  await allocator.start();
  await allocator.setLeader(true);
});
afterEach(async () => {
  await allocator?.stop();
  await solo?.member.stop();
});

function network(id: string, spec: Partial<NetworkSpec> = {}): Network {
  return Network.fromPartial({ id, spec: { annotations: { name: id }, driver: 'overlay', ...spec } });
}

function service(id: string, o: { networks?: string[]; ingressPort?: number; dnsrr?: boolean } = {}): Service {
  return Service.fromPartial({
    id,
    specVersion: 1,
    spec: {
      annotations: { name: id },
      replicas: 1,
      task: { container: { image: 'flotilla/busybox:latest' }, networks: (o.networks ?? []).map((target) => ({ target, aliases: [] })) },
      endpoint: {
        mode: o.dnsrr ? EndpointMode.ENDPOINT_MODE_DNSRR : EndpointMode.ENDPOINT_MODE_VIP,
        ports: o.ingressPort
          ? [{ protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: o.ingressPort, publishMode: PublishMode.PUBLISH_MODE_INGRESS }]
          : [],
      },
    },
  });
}

function newTask(id: string, s: Service): Task {
  return Task.fromPartial({
    id,
    serviceId: s.id,
    slot: 1,
    spec: s.spec!.task,
    status: { state: TaskState.TASK_STATE_NEW, message: 'created', timestamp: Date.now() },
    desiredState: TaskState.TASK_STATE_RUNNING,
  });
}

const view = () => solo.store.view();
const statusOf = (id: string) => {
  const st = view().networks.get(id)?.status;
  return st?.ipam[0]?.subnet ? { subnet: st.ipam[0].subnet, gateway: st.ipam[0].gateway, vxlanId: st.vxlanId } : undefined;
};
const vips = (id: string) => view().services.get(id)?.endpoint?.virtualIps.map((v) => [v.networkId, v.addr]);
const task = (id: string) => view().tasks.get(id);
const pending = (id: string) => task(id)?.status?.state === TaskState.TASK_STATE_PENDING;

describe('AllocatorService: networks and virtual IPs', () => {
  it('gives networks a subnet of the cluster pool, its first host as gateway and a VXLAN id; keeps an explicit one and refuses an overlapping one', async () => {
    await solo.write((b) => b.create('network', network('net-a')).create('network', network('net-b')));
    await waitFor(() => statusOf('net-a') && statusOf('net-b'), { what: 'net-a and net-b allocated' });
    const got = [statusOf('net-a')!, statusOf('net-b')!].sort((x, y) => x.vxlanId - y.vxlanId);
    expect(got.map((s) => s.vxlanId)).toEqual([4096, 4097]);
    expect(got.map((s) => [s.subnet, s.gateway]).sort()).toEqual([
      ['198.19.0.0/24', '198.19.0.1'],
      ['198.19.1.0/24', '198.19.1.1'],
    ]);

    await solo.write((b) => b.create('network', network('mine', { ipam: [{ subnet: '198.19.2.0/24', gateway: '198.19.2.254', range: '' }] })));
    await waitFor(() => statusOf('mine'), { what: 'mine allocated' });
    expect(statusOf('mine')).toEqual({ subnet: '198.19.2.0/24', gateway: '198.19.2.254', vxlanId: 4098 });

    await solo.write((b) => b.create('network', network('clash', { ipam: [{ subnet: '198.19.2.128/25', gateway: '', range: '' }] })));
    const why = await waitFor(() => allocator.networkError('clash'), { what: 'clash refused' });
    expect(why).toBe('network clash: subnet 198.19.2.128/25 overlaps subnet 198.19.2.0/24 of network mine');
    expect(view().networks.get('clash')!.status).toBeUndefined();

    // The next pool subnet skips the explicit one.
    await solo.write((b) => b.create('network', network('net-c')));
    await waitFor(() => statusOf('net-c'), { what: 'net-c allocated' });
    expect(statusOf('net-c')).toEqual({ subnet: '198.19.3.0/24', gateway: '198.19.3.1', vxlanId: 4099 });
  });

  it('serves networks that ask for a subnet before pool picks in the same pass, and follows a new default pool', async () => {
    // 198.19.0.0/24 is the first pool subnet: the network asking for it must get it even when both arrive together.
    await solo.write((b) => b.create('network', network('auto')).create('network', network('wants', { ipam: [{ subnet: '198.19.0.0/24', gateway: '', range: '' }] })));
    await waitFor(() => statusOf('auto') && statusOf('wants'), { what: 'auto and wants allocated' });
    expect(statusOf('wants')!.subnet).toBe('198.19.0.0/24');
    expect(statusOf('auto')!.subnet).toBe('198.19.1.0/24');

    const cluster = view().clusters.get('c1')!;
    await solo.write((b) => b.update('cluster', { ...cluster, spec: { ...cluster.spec!, networkPool: { defaultAddrPool: ['198.19.128.0/17'], subnetSize: 26 } } }));
    await solo.write((b) => b.create('network', network('later')));
    await waitFor(() => statusOf('later'), { what: 'later allocated' });
    expect(statusOf('later')).toMatchObject({ subnet: '198.19.128.0/26', gateway: '198.19.128.1' });
  });

  it('gives a service a VIP on each of its networks (ingress too when it publishes a port), none in dnsrr mode, and its task an address on each', async () => {
    await solo.write((b) =>
      b
        .create('network', network('ingress', { ingress: true, ipam: [{ subnet: '198.19.100.0/24', gateway: '', range: '' }] }))
        .create('network', network('backend', { ipam: [{ subnet: '198.19.7.0/24', gateway: '', range: '' }] })),
    );
    await waitFor(() => statusOf('ingress') && statusOf('backend'), { what: 'ingress and backend allocated' });
    const web = service('web', { networks: ['backend'], ingressPort: 8080 });
    const dns = service('dns', { networks: ['backend'], dnsrr: true });
    await solo.write((b) => b.create('service', web).create('task', newTask('web-1', web)));
    await waitFor(() => pending('web-1'), { what: 'web-1 PENDING' });
    await solo.write((b) => b.create('service', dns).create('task', newTask('dns-1', dns)));
    await waitFor(() => pending('dns-1'), { what: 'dns-1 PENDING' });

    expect(vips('web')).toEqual([
      ['ingress', '198.19.100.2/24'],
      ['backend', '198.19.7.2/24'],
    ]);
    expect(task('web-1')!.networks.map((a) => [a.networkId, a.addresses[0]])).toEqual([
      ['ingress', '198.19.100.3/24'],
      ['backend', '198.19.7.3/24'],
    ]);
    expect(task('web-1')!.endpoint!.virtualIps).toEqual(view().services.get('web')!.endpoint!.virtualIps);
    expect(view().services.get('dns')!.endpoint?.virtualIps ?? []).toEqual([]);
    expect(task('dns-1')!.networks.map((a) => [a.networkId, a.addresses[0]])).toEqual([['backend', '198.19.7.4/24']]);
  });

  it('releases a VIP when the service leaves the network or is removed', async () => {
    await solo.write((b) => b.create('network', network('front')).create('network', network('back')));
    await waitFor(() => statusOf('front') && statusOf('back'), { what: 'networks allocated' });
    const app = service('app', { networks: ['front', 'back'] });
    await solo.write((b) => b.create('service', app));
    await waitFor(() => vips('app')?.length === 2, { what: 'two VIPs for app' });
    // Gateway + one VIP on each.
    expect([allocator.addressesInUse('front'), allocator.addressesInUse('back')]).toEqual([2, 2]);

    const stored = view().services.get('app')!;
    await solo.write((b) => b.update('service', { ...stored, spec: { ...stored.spec!, task: { ...stored.spec!.task!, networks: [{ target: 'front', aliases: [] }] } } }));
    await waitFor(() => vips('app')?.length === 1, { what: 'app to keep only its front VIP' });
    expect(vips('app')![0]![0]).toBe('front');
    expect(allocator.addressesInUse('back')).toBe(1);

    await solo.write((b) => b.delete('service', view().services.get('app')!));
    await waitFor(() => allocator.addressesInUse('front') === 1, { what: 'the front VIP to be released' });
  });

  it('holds a service and its task while a network has no subnet, and allocates once it is fixed', async () => {
    await solo.write((b) =>
      b
        .create('network', network('one', { ipam: [{ subnet: '198.19.20.0/24', gateway: '', range: '' }] }))
        .create('network', network('two', { ipam: [{ subnet: '198.19.20.0/25', gateway: '', range: '' }] })),
    );
    await waitFor(() => statusOf('one') && allocator.networkError('two'), { what: 'one allocated, two refused' });
    const s = service('s', { networks: ['two'] });
    await solo.write((b) => b.create('service', s).create('task', newTask('s-1', s)));
    const why = await waitFor(() => task('s-1')?.status?.err || undefined, { what: 's-1 to say why it waits' });
    expect(why).toBe('network two has no subnet allocated yet');
    expect(vips('s') ?? []).toEqual([]);

    const two = view().networks.get('two')!;
    await solo.write((b) => b.update('network', { ...two, spec: { ...two.spec!, ipam: [{ subnet: '198.19.21.0/24', gateway: '', range: '' }] } }));
    await waitFor(() => pending('s-1'), { what: 's-1 PENDING' });
    expect(vips('s')).toEqual([['two', '198.19.21.2/24']]);
    expect(task('s-1')!.networks[0]!.addresses).toEqual(['198.19.21.3/24']);
  });

  it('rebuilds networks and VIPs from the store on a new leader: nothing handed out twice, what was freed meanwhile reused', async () => {
    await solo.write((b) => b.create('network', network('n1')).create('network', network('n2')));
    await waitFor(() => statusOf('n1') && statusOf('n2'), { what: 'n1 and n2 allocated' });
    const a = service('a', { networks: ['n1'] });
    await solo.write((b) => b.create('service', a));
    await waitFor(() => vips('a')?.length === 1, { what: 'a VIP for a' });
    const first = { n1: statusOf('n1')!, n2: statusOf('n2')! };

    await allocator.setLeader(false);
    // While another manager leads: n2 is removed (its subnet and VXLAN id are free), n3 is created.
    await solo.write((b) => b.delete('network', view().networks.get('n2')!));
    await solo.write((b) => b.create('network', network('n3')).create('service', service('b', { networks: ['n1'] })));
    expect(statusOf('n3')).toBeUndefined();

    await allocator.setLeader(true);
    await waitFor(() => statusOf('n3') && vips('b')?.length === 1, { what: 'n3 and b allocated by the new leader' });
    expect(statusOf('n3')).toEqual({ subnet: first.n2.subnet, gateway: first.n2.gateway, vxlanId: first.n2.vxlanId });
    expect(vips('b')![0]![1]).not.toBe(vips('a')![0]![1]);
    expect(allocator.addressesInUse('n1')).toBe(3);
  });
});
