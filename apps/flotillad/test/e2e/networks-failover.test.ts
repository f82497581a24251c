// Network, VIP and address allocations survive a leader change: three real managers on
// 127.0.0.61-63 (own data dirs, sockets, nats-servers, Raft WALs; one Docker Engine), pool
// 198.19.0.0/16. The leader allocates a network and a service VIP, then is SIGKILLed (its
// nats-server with it); the new leader, rebuilt from the store, gives a network created through a
// follower a new subnet and VXLAN id and a second service on the first network a VIP and a task
// address nobody holds.
import Docker from 'dockerode';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ControlClient, type ListTasksResponse } from '@flotilla/api';
import { pickFreePort } from '@flotilla/bus';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.61', '127.0.0.62', '127.0.0.63'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

interface Host {
  name: string;
  addr: string;
  dataDir: string;
  socket: string;
  daemon?: DaemonProcess;
  nodeId: string;
}

let dir: string;
let natsPort: number;
let clusterPort: number;
let joinPort: number;
const hosts: Host[] = [];

const cli = (host: Host, ...args: string[]): Promise<Finished> => runCli(['-H', `unix://${host.socket}`, ...args]);
async function ok(host: Host, ...args: string[]): Promise<string> {
  const run = await cli(host, ...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} on ${host.name} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

async function leaderOf(host: Host): Promise<string | undefined> {
  const run = await cli(host, 'node', 'ls');
  if (run.code !== 0) return undefined;
  return run.stdout.split('\n').find((l) => /\sLeader(\s|$)/.test(l))?.split(/\s+/)[0]!.replace('*', '');
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function freePortOnAll(): Promise<number> {
  for (;;) {
    const port = await pickFreePort(ADDRS[0]);
    if ((await Promise.all(ADDRS.slice(1).map((a) => portIsFree(a, port)))).every(Boolean)) return port;
  }
}

interface Allocated {
  id: string;
  subnet: string;
  vxlanId: number;
}

async function allocated(host: Host, ref: string): Promise<Allocated> {
  return waitFor(`network ${ref} allocated (asked ${host.name})`, async () => {
    const run = await cli(host, 'network', 'inspect', ref);
    if (run.code !== 0) return undefined;
    const n = (JSON.parse(run.stdout) as Array<{ id: string; status?: { ipam: Array<{ subnet: string }>; vxlanId: number } }>)[0]!;
    return n.status?.ipam[0]?.subnet ? { id: n.id, subnet: n.status.ipam[0].subnet, vxlanId: n.status.vxlanId } : undefined;
  }, LONG);
}

async function vipOn(host: Host, service: string, networkId: string): Promise<string> {
  return waitFor(`${service} VIP on ${networkId} (asked ${host.name})`, async () => {
    const run = await cli(host, 'service', 'inspect', service);
    if (run.code !== 0) return undefined;
    const s = (JSON.parse(run.stdout) as Array<{ endpoint?: { virtualIps?: Array<{ networkId: string; addr: string }> } }>)[0]!;
    return s.endpoint?.virtualIps?.find((v) => v.networkId === networkId)?.addr;
  }, LONG);
}

function listTasks(host: Host, service: string): Promise<ListTasksResponse> {
  const client = new ControlClient(`unix://${host.socket}`, credentials.createInsecure());
  return new Promise<ListTasksResponse>((resolve, reject) => {
    client.listTasks({ service, desiredStates: [] }, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (err, res) => (err ? reject(err) : resolve(res)));
  }).finally(() => client.close());
}

async function taskAddress(host: Host, service: string): Promise<string> {
  return waitFor(`a task of ${service} with an address (asked ${host.name})`, async () => (await listTasks(host, service)).tasks.find((t) => t.networks.length > 0)?.networks[0]?.addresses[0], LONG);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-net-failover-'));
  natsPort = await freePortOnAll();
  clusterPort = await freePortOnAll();
  joinPort = await freePortOnAll();
  for (const [i, addr] of ADDRS.entries()) {
    const name = `e2e-nf${i + 1}`;
    const host: Host = { name, addr, dataDir: join(dir, name), socket: join(dir, `${name}.sock`), nodeId: '' };
    hosts.push(host);
    host.daemon = spawnDaemon(['--data-dir', host.dataDir, '--control-socket', host.socket, '--node-name', name, '--nats-port', String(natsPort), '--nats-cluster-port', String(clusterPort)]);
    await waitUntilServing(host.daemon, host.socket);
  }
}, LONG);

afterAll(async () => {
  for (const host of hosts) {
    if (process.env.FLOTILLA_E2E_LOGS && host.daemon) await writeFile(join(process.env.FLOTILLA_E2E_LOGS, `${host.name}.log`), host.daemon.stderr());
    if (host.daemon) {
      host.daemon.child.kill('SIGTERM');
      await host.daemon.exited;
    }
    await killStaleNatsServer(join(host.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
  }
  for (const host of hosts) {
    if (!host.nodeId) continue;
    for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${host.nodeId}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true });
    }
  }
  await rm(dir, { recursive: true, force: true });
}, LONG);

describe('network allocation across a leader change', () => {
  it('three managers with the 198.19.0.0/16 pool; the leader allocates mynet and a VIP; after its SIGKILL the new leader allocates without reusing anything held', async () => {
    const [m1, m2, m3] = hosts as [Host, Host, Host];
    const out = await ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${joinPort}`, '--default-addr-pool', '198.19.0.0/16');
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const token = (await ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    for (const host of [m2, m3]) {
      await ok(host, 'swarm', 'join', '--advertise-addr', host.addr, '--token', token, `${m1.addr}:${joinPort}`);
      host.nodeId = /NodeID: (\w+)/.exec(await ok(host, 'info'))![1]!;
    }
    await waitFor('three Ready managers', async () => {
      const ls = await ok(m1, 'node', 'ls');
      return hosts.every((h) => new RegExp(`^${h.nodeId}\\*?\\s.*\\sReady\\s+Active\\s+(Leader|Reachable)`, 'm').test(ls)) ? true : undefined;
    }, 2 * LONG);

    const ingress = await allocated(m1, 'ingress');
    await ok(m1, 'network', 'create', 'mynet');
    const mynet = await allocated(m1, 'mynet');
    await ok(m1, 'service', 'create', '-d', '--name', 'a', '--network', 'mynet', IMAGE, 'sleep', '3600');
    const vipA = await vipOn(m1, 'a', mynet.id);
    const taskA = await taskAddress(m1, 'a');

    const leaderId = await leaderOf(m1);
    const killed = hosts.find((h) => h.nodeId === leaderId)!;
    killed.daemon!.child.kill('SIGKILL');
    await killed.daemon!.exited;
    killed.daemon = undefined;
    await killStaleNatsServer(join(killed.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
    const survivors = hosts.filter((h) => h !== killed);
    const newLeader = await waitFor('a new leader among the survivors', async () => {
      const seen = await leaderOf(survivors[0]!);
      return seen && seen !== killed.nodeId ? seen : undefined;
    }, LONG);
    const follower = survivors.find((h) => h.nodeId !== newLeader)!;

    // Created through a follower (forwarded to the new leader), allocated by the new leader.
    await ok(follower, 'network', 'create', 'after');
    const after = await allocated(follower, 'after');
    expect([ingress.subnet, mynet.subnet]).not.toContain(after.subnet);
    expect([ingress.vxlanId, mynet.vxlanId]).not.toContain(after.vxlanId);
    expect(after.subnet).toMatch(/^198\.19\.\d+\.0\/24$/);

    await ok(follower, 'service', 'create', '-d', '--name', 'b', '--network', 'mynet', IMAGE, 'sleep', '3600');
    const vipB = await vipOn(follower, 'b', mynet.id);
    const taskB = await taskAddress(follower, 'b');
    expect(new Set([vipA, taskA, vipB, taskB]).size).toBe(4);
    expect(await vipOn(follower, 'a', mynet.id)).toBe(vipA);
  }, 6 * LONG);
});
