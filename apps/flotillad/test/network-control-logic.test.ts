// The network rules of the Control API over a real single-member Raft store (real nats-server
// with mutual TLS, real WAL): what refuses a network's removal (a service naming it by name or
// id, a live task attached, ingress while a service publishes through the mesh), what a network
// view lists, which service networks are refused, and the init address pool and ingress network.
import { join } from 'node:path';
import { EndpointMode, Network, PortProtocol, PublishMode, Service, Task, TaskState, validateClusterSpec, type ServiceSpec } from '@flotilla/api';
import { RaftMember } from '@flotilla/raft';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlError } from '../src/control/control-error.js';
import { networkView, removalRefusal } from '../src/control/network-handlers.js';
import { checkServiceNetworks } from '../src/control/service-network-check.js';
import { ingressNetworkForInit, networkPoolForInit } from '../src/manager/ingress-network.js';
import { writeStore } from '../src/manager/store-writer.js';

const log = pino({ level: 'silent' });
let tmp: TempDir;
let nats: TestNats;
let member: RaftMember;

beforeAll(async () => {
  tmp = await tempDir('flotillad-netctl-');
  nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }] }) });
  const bus = await nats.connect('m1');
  member = await RaftMember.start({ id: 1, clusterId: 'netctl', dataDir: join(tmp.path, 'raft'), nc: bus.nc, bootstrap: [1], tickMs: 20, logger: log });
  await waitFor(() => member.isLeader, { what: 'the single member to lead' });
  const ingress = { ...ingressNetworkForInit(), id: 'ing', status: { ipam: [{ subnet: '198.19.0.0/24', gateway: '198.19.0.1', range: '' }], vxlanId: 4096 } };
  await writeStore(member, (_view, tx) => {
    tx.create('network', ingress);
    tx.create('network', Network.fromPartial({ id: 'nf', spec: { annotations: { name: 'front' }, driver: 'overlay' }, status: { ipam: [{ subnet: '198.19.1.0/24', gateway: '198.19.1.1' }], vxlanId: 4097 } }));
    tx.create('network', Network.fromPartial({ id: 'nb', spec: { annotations: { name: 'back' }, driver: 'overlay' }, status: { ipam: [{ subnet: '198.19.2.0/24', gateway: '198.19.2.1' }], vxlanId: 4098 } }));
    tx.create('network', Network.fromPartial({ id: 'nx', spec: { annotations: { name: 'spare' }, driver: 'overlay' } }));
    tx.create(
      'service',
      Service.fromPartial({
        id: 'web',
        spec: {
          annotations: { name: 'web' },
          task: { networks: [{ target: 'front' }] },
          endpoint: { mode: EndpointMode.ENDPOINT_MODE_VIP, ports: [{ protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: 8080, publishMode: PublishMode.PUBLISH_MODE_INGRESS }] },
        },
        endpoint: { virtualIps: [{ networkId: 'ing', addr: '198.19.0.2/24' }, { networkId: 'nf', addr: '198.19.1.2/24' }] },
      }),
    );
    tx.create('service', Service.fromPartial({ id: 'api', spec: { annotations: { name: 'api' }, task: { networks: [{ target: 'nf' }] } } }));
    // A task left on "back" by a service already removed, still shutting down.
    tx.create('task', Task.fromPartial({ id: 'old-1', serviceId: 'gone', serviceName: 'gone', slot: 1, nodeId: 'n1', desiredState: TaskState.TASK_STATE_SHUTDOWN, status: { state: TaskState.TASK_STATE_RUNNING }, networks: [{ networkId: 'nb', addresses: ['198.19.2.5/24'] }] }));
    tx.create('task', Task.fromPartial({ id: 'web-1', serviceId: 'web', serviceName: 'web', slot: 1, nodeId: 'n1', desiredState: TaskState.TASK_STATE_RUNNING, status: { state: TaskState.TASK_STATE_RUNNING }, networks: [{ networkId: 'ing', addresses: ['198.19.0.3/24'] }, { networkId: 'nf', addresses: ['198.19.1.3/24'] }] }));
    tx.create('task', Task.fromPartial({ id: 'web-0', serviceId: 'web', serviceName: 'web', slot: 1, nodeId: 'n1', desiredState: TaskState.TASK_STATE_SHUTDOWN, status: { state: TaskState.TASK_STATE_SHUTDOWN }, networks: [{ networkId: 'nf', addresses: ['198.19.1.9/24'] }] }));
  });
}, 60_000);

afterAll(async () => {
  await member?.stop();
  await nats?.stop();
  await tmp?.cleanup();
});

const net = (id: string): Network => member.store.view().networks.get(id)!;

describe('network control rules', () => {
  it('refuses removal while a service names the network (by name or id), a live task is on it, or for ingress a service publishes through the mesh', () => {
    const view = member.store.view();
    expect(removalRefusal(view, net('nf'))).toMatch(/^network front is in use by service (web|api)$/);
    expect(removalRefusal(view, net('nb'))).toBe('network back is in use by task gone.1 (old-1, still stopping; try again once it has)');
    expect(removalRefusal(view, net('ing'))).toBe('ingress network cannot be removed because service web depends on it');
    expect(removalRefusal(view, net('nx'))).toBeUndefined();
  });

  it('a network view lists the services on it with their VIPs (ingress implicitly) and the live tasks with their addresses', () => {
    const view = member.store.view();
    const front = networkView(view, net('nf'));
    expect(front.services).toEqual([
      { id: 'api', name: 'api', virtualIp: '' },
      { id: 'web', name: 'web', virtualIp: '198.19.1.2/24' },
    ]);
    expect(front.tasks).toEqual([{ taskId: 'web-1', name: 'web.1', nodeId: 'n1', address: '198.19.1.3/24' }]);
    expect(networkView(view, net('ing')).services.map((s) => [s.name, s.virtualIp])).toEqual([['web', '198.19.0.2/24']]);
  });

  it('refuses a service spec on a missing network or explicitly on ingress', () => {
    const view = member.store.view();
    const spec = (targets: string[]): ServiceSpec => Service.fromPartial({ spec: { task: { networks: targets.map((target) => ({ target, aliases: [] })) } } }).spec!;
    expect(() => checkServiceNetworks(view, spec(['front', 'nb']))).not.toThrow();
    expect(() => checkServiceNetworks(view, spec(['nosuch']))).toThrow(new ControlError(5, 'network nosuch not found'));
    expect(() => checkServiceNetworks(view, spec(['ingress']))).toThrow('service cannot be explicitly attached to the ingress network "ingress"');
  });

  it('refuses a service publishing through the mesh when the swarm has no ingress network (host-mode ports are fine), saying how to make one', async () => {
    const publishing = (mode: PublishMode): ServiceSpec =>
      Service.fromPartial({ spec: { annotations: { name: 'site' }, endpoint: { ports: [{ protocol: PortProtocol.PORT_PROTOCOL_TCP, targetPort: 80, publishedPort: 8081, publishMode: mode }] } } }).spec!;
    expect(() => checkServiceNetworks(member.store.view(), publishing(PublishMode.PUBLISH_MODE_INGRESS))).not.toThrow();
    const ingress = net('ing');
    await writeStore(member, (_view, tx) => { tx.delete('network', ingress); });
    try {
      const view = member.store.view();
      expect(() => checkServiceNetworks(view, publishing(PublishMode.PUBLISH_MODE_INGRESS))).toThrow(
        "service site publishes ports through the routing mesh but this swarm has no ingress network: create one with 'flotilla network create -d overlay --ingress ingress' (or publish with mode=host)",
      );
      expect(() => checkServiceNetworks(view, publishing(PublishMode.PUBLISH_MODE_HOST))).not.toThrow();
    } finally {
      await writeStore(member, (_view, tx) => { tx.create('network', ingress); });
    }
  });

  it('swarm init: the address-pool flags become the cluster network pool; ingress is an allocatable overlay named ingress', () => {
    expect(networkPoolForInit({})).toBeUndefined();
    expect(validateClusterSpec({ networkPool: networkPoolForInit({}) }).networkPool).toEqual({ defaultAddrPool: ['10.0.0.0/8'], subnetSize: 24 });
    expect(networkPoolForInit({ defaultAddrPool: ['198.19.0.0/16'] })).toEqual({ defaultAddrPool: ['198.19.0.0/16'], subnetSize: 24 });
    expect(networkPoolForInit({ defaultAddrPoolMaskLength: 26 })).toEqual({ defaultAddrPool: ['10.0.0.0/8'], subnetSize: 26 });
    const ingress = ingressNetworkForInit();
    expect(ingress.spec).toMatchObject({ annotations: { name: 'ingress' }, driver: 'overlay', ingress: true, ipam: [] });
    expect(ingress.status).toBeUndefined();
    expect(ingressNetworkForInit().id).not.toBe(ingress.id);
  });
});
