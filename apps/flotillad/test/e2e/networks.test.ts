// Overlay networks in the control plane end to end: a real flotillad, the real CLI and the local
// Docker Engine. `swarm init --default-addr-pool 198.19.0.0/16` (no test packet may carry a
// private-range address) creates the ingress network; networks are created, listed, inspected
// and refused (overlap, duplicate name, removal while used); a service on a network gets a VIP
// there (and on ingress, as it publishes a port) and its task an address in the subnet.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ControlClient, type ListTasksResponse } from '@flotilla/api';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.0.60';
const IMAGE = 'flotilla/busybox:latest';
const POOL = '198.19.0.0/16';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const LONG = 60_000;

let dir: string;
let dataDir: string;
let socket: string;
let daemon: DaemonProcess | undefined;
let nodeId = '';

const cli = (...args: string[]): Promise<Finished> => runCli(['-H', `unix://${socket}`, ...args]);

async function ok(...args: string[]): Promise<string> {
  const run = await cli(...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

interface InspectedNetwork {
  id: string;
  ingress: boolean;
  status?: { ipam: Array<{ subnet: string; gateway: string }>; vxlanId: number };
}

/** `network inspect` prints the Engine API's network.Inspect: read what these tests check from it. */
async function inspectNetwork(ref: string): Promise<InspectedNetwork> {
  const [n] = JSON.parse(await ok('network', 'inspect', ref)) as Array<{ Id: string; Ingress: boolean; IPAM: { Config: Array<{ Subnet?: string; Gateway?: string }> }; Options: Record<string, string> }>;
  const vxlan = n!.Options['com.docker.network.driver.overlay.vxlanid_list'];
  return {
    id: n!.Id,
    ingress: n!.Ingress,
    ...(vxlan ? { status: { ipam: n!.IPAM.Config.map((c) => ({ subnet: c.Subnet ?? '', gateway: c.Gateway ?? '' })), vxlanId: Number(vxlan) } } : {}),
  };
}

/** Waits until the allocator has written the network's subnet, gateway and VXLAN id. */
async function allocated(ref: string): Promise<{ subnet: string; gateway: string; vxlanId: number }> {
  return waitFor(`network ${ref} to be allocated`, async () => {
    const st = (await inspectNetwork(ref)).status;
    return st?.ipam[0]?.subnet ? { subnet: st.ipam[0].subnet, gateway: st.ipam[0].gateway, vxlanId: st.vxlanId } : undefined;
  }, LONG);
}

interface InspectedService {
  endpoint?: { virtualIps?: Array<{ networkId: string; addr: string }> };
}

/** `service inspect` prints swarm.Service: its Endpoint.VirtualIPs, as these tests read them. */
async function inspectService(ref: string): Promise<InspectedService> {
  const [svc] = JSON.parse(await ok('service', 'inspect', ref)) as Array<{ Endpoint: { VirtualIPs?: Array<{ NetworkID: string; Addr: string }> } }>;
  return { endpoint: { virtualIps: (svc!.Endpoint.VirtualIPs ?? []).map((v) => ({ networkId: v.NetworkID, addr: v.Addr })) } };
}

/** The tasks of a service as the daemon's Control API answers (the CLI has no task inspect). */
function listTasks(service: string): Promise<ListTasksResponse> {
  const client = new ControlClient(`unix://${socket}`, credentials.createInsecure());
  return new Promise<ListTasksResponse>((resolve, reject) => {
    client.listTasks({ service, desiredStates: [] }, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, res) => (err ? reject(err) : resolve(res)));
  }).finally(() => client.close());
}

/** The network of `cidr` ("a.b.c.d/n") is `subnet`, and the address is not its network or gateway address. */
function inSubnet(cidr: string, subnet: string): boolean {
  const [addr, prefix] = cidr.split('/');
  const [base, bits] = subnet.split('/');
  const n = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return prefix === bits && n(addr!) > n(base!) && n(addr!) < n(base!) + size - 1;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-e2e-networks-'));
  dataDir = join(dir, 'data');
  socket = join(dir, 'ctl.sock');
  daemon = spawnDaemon(['--data-dir', dataDir, '--control-socket', socket, '--node-name', 'e2e-networks-1', '--nats-port', '0', '--nats-cluster-port', '0']);
  await waitUntilServing(daemon, socket);
  const out = await ok('swarm', 'init', '--advertise-addr', ADDR, '--listen-addr', `${ADDR}:0`, '--default-addr-pool', POOL, '--default-addr-pool-mask-length', '24');
  nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  await waitFor('the node to be Ready', async () => ((await ok('node', 'ls')).includes('Ready') ? true : undefined), LONG);
}, LONG * 2);

afterAll(async () => {
  if (daemon) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  await killStaleNatsServer(join(dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
  if (nodeId) {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${nodeId}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true });
    }
  }
  await rm(dir, { recursive: true, force: true });
}, LONG);

describe('overlay networks', () => {
  it('swarm init creates the ingress network, allocated from --default-addr-pool', async () => {
    const ingress = await allocated('ingress');
    expect(ingress).toEqual({ subnet: '198.19.0.0/24', gateway: '198.19.0.1', vxlanId: 4096 });
    expect((await inspectNetwork('ingress')).ingress).toBe(true);
    const table = (await ok('network', 'ls')).trimEnd().split('\n');
    expect(table[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(table.slice(1).some((l) => /^\w{12}\s+ingress\s+overlay\s+swarm$/.test(l))).toBe(true);
  });

  it('creates networks with a pool subnet or an explicit one, and refuses an overlap or a taken name', async () => {
    const id = (await ok('network', 'create', '-d', 'overlay', 'mynet')).trim();
    expect(id).toMatch(/^\w{20,}$/);
    expect(await allocated('mynet')).toEqual({ subnet: '198.19.1.0/24', gateway: '198.19.1.1', vxlanId: 4097 });
    expect((await ok('network', 'ls', '-q')).split('\n')).toContain(id.slice(0, 12));

    await ok('network', 'create', '--subnet', '198.19.50.0/24', '--gateway', '198.19.50.254', '--attachable', '--label', 'team=a', 'explicit');
    const explicit = await allocated('explicit');
    expect(explicit.subnet).toBe('198.19.50.0/24');
    expect(explicit.gateway).toBe('198.19.50.254');
    const pretty = await ok('network', 'inspect', '--pretty', 'explicit');
    expect(pretty).toContain(' Subnet: 198.19.50.0/24\n');
    expect(pretty).toContain(' Gateway: 198.19.50.254\n');
    expect(pretty).toContain(`VXLAN ID: ${explicit.vxlanId}\n`);
    expect(pretty).toContain('Attachable: true\n');
    expect(pretty).toContain(' team: a\n');

    const overlap = await cli('network', 'create', '--subnet', '198.19.1.128/25', 'clash');
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toContain('subnet 198.19.1.128/25 overlaps subnet 198.19.1.0/24 of network mynet');
    const again = await cli('network', 'create', 'mynet');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('network with name mynet already exists');
    const names = (await ok('network', 'ls')).split('\n').map((l) => l.split(/\s+/)[1]);
    expect(names).not.toContain('clash');
    expect(names.filter((n) => n === 'mynet')).toHaveLength(1);
  });

  it('gives a service a VIP on its network and on ingress, its task an address in each subnet; rm of a used network is refused', async () => {
    const mynet = await allocated('mynet');
    const ingress = await allocated('ingress');
    await ok('service', 'create', '-d', '--name', 'web', '--network', 'mynet', '--publish', '18080:80', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    const vips = await waitFor('web to get its VIPs', async () => {
      const v = (await inspectService('web')).endpoint?.virtualIps ?? [];
      return v.length === 2 ? v : undefined;
    }, LONG);
    const mynetId = (await inspectNetwork('mynet')).id;
    const ingressId = (await inspectNetwork('ingress')).id;
    expect(vips.map((v) => v.networkId)).toEqual([ingressId, mynetId]);
    expect(inSubnet(vips[0]!.addr, ingress.subnet)).toBe(true);
    expect(inSubnet(vips[1]!.addr, mynet.subnet)).toBe(true);

    const task = await waitFor('web.1 to be allocated', async () => (await listTasks('web')).tasks.find((t) => t.networks.length === 2), LONG);
    expect(task.networks.map((a) => a.networkId)).toEqual([ingressId, mynetId]);
    expect(inSubnet(task.networks[0]!.addresses[0]!, ingress.subnet)).toBe(true);
    expect(inSubnet(task.networks[1]!.addresses[0]!, mynet.subnet)).toBe(true);
    expect(task.networks[1]!.addresses[0]).not.toBe(vips[1]!.addr);

    expect(await ok('service', 'inspect', '--pretty', 'web')).toContain(`VirtualIPs:\n ${ingressId}: ${vips[0]!.addr}\n ${mynetId}: ${vips[1]!.addr}\n`);
    const pretty = await ok('network', 'inspect', '--pretty', 'mynet');
    expect(pretty).toContain(` web: VIP ${vips[1]!.addr}\n`);
    expect(pretty).toContain(` web.1: ${task.networks[1]!.addresses[0]} (task ${task.id.slice(0, 12)}`);

    const refused = await cli('network', 'rm', 'mynet');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('network mynet is in use by service web');
    const ingressRefused = await cli('network', 'rm', 'ingress');
    expect(ingressRefused.code).toBe(1);
    expect(ingressRefused.stderr).toContain('ingress network cannot be removed because service web depends on it');
    expect((await inspectNetwork('mynet')).id).toBe(mynetId);

    // Once the service and its task are gone, the network can go.
    await ok('service', 'rm', 'web');
    await waitFor('network rm mynet to be accepted once web\'s task has ended', async () => ((await cli('network', 'rm', 'mynet')).code === 0 ? true : undefined), LONG);
    expect((await ok('network', 'ls')).split('\n').map((l) => l.split(/\s+/)[1])).not.toContain('mynet');
  });

  it('refuses a service on a missing network or on ingress; service update adds and removes networks and their VIPs', async () => {
    const missing = await cli('service', 'create', '-d', '--name', 'lost', '--network', 'nosuch', IMAGE, 'sleep', '3600');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('network nosuch not found');
    const onIngress = await cli('service', 'create', '-d', '--name', 'lost', '--network', 'ingress', IMAGE, 'sleep', '3600');
    expect(onIngress.code).toBe(1);
    expect(onIngress.stderr).toContain('service cannot be explicitly attached to the ingress network');
    expect(await ok('service', 'ls')).not.toContain('lost');

    await ok('network', 'create', 'extra');
    const extra = await allocated('extra');
    await ok('service', 'create', '-d', '--name', 'upd', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    await ok('service', 'update', '-d', '--network-add', 'extra', 'upd');
    const vip = await waitFor('upd to get a VIP on extra', async () => (await inspectService('upd')).endpoint?.virtualIps?.[0], LONG);
    expect(vip.networkId).toBe((await inspectNetwork('extra')).id);
    expect(inSubnet(vip.addr, extra.subnet)).toBe(true);
    await waitFor('a task of upd on extra', async () => (await listTasks('upd')).tasks.find((t) => t.networks.length === 1 && inSubnet(t.networks[0]!.addresses[0]!, extra.subnet)), LONG);

    await ok('service', 'update', '-d', '--network-rm', 'extra', 'upd');
    await waitFor('upd to give its VIP back', async () => (((await inspectService('upd')).endpoint?.virtualIps ?? []).length === 0 ? true : undefined), LONG);
    // Once the task on extra has been replaced, the network is free.
    await waitFor('network rm extra to be accepted', async () => ((await cli('network', 'rm', 'extra')).code === 0 ? true : undefined), LONG);
    await ok('service', 'rm', 'upd');
  });

  it('a dnsrr service has no VIP, but its task still gets an address on the network', async () => {
    const explicit = await allocated('explicit');
    await ok('service', 'create', '-d', '--name', 'dns', '--endpoint-mode', 'dnsrr', '--network', 'explicit', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    const task = await waitFor('dns.1 to be allocated', async () => (await listTasks('dns')).tasks.find((t) => t.networks.length === 1), LONG);
    expect(inSubnet(task.networks[0]!.addresses[0]!, explicit.subnet)).toBe(true);
    expect((await inspectService('dns')).endpoint?.virtualIps ?? []).toEqual([]);
    expect(await ok('network', 'inspect', '--pretty', 'explicit')).toContain(' dns: no VIP (dnsrr, or not allocated yet)\n');
  });
});
