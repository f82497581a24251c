// Network, VIP and address allocations survive a leader change: three real managers on
// 127.0.0.61-63 (own data dirs, sockets, nats-servers, Raft WALs; one Docker Engine), pool
// 198.19.0.0/16. The leader allocates a network and a service VIP, then is SIGKILLed (its
// nats-server with it); the new leader, rebuilt from the store, gives a network created through a
// follower a new subnet and VXLAN id and a second service on the first network a VIP and a task
// address nobody holds.
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ControlClient, type ListTasksResponse } from '@flotilla/api';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import type { Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.61', '127.0.0.62', '127.0.0.63'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;

type Host = LoopbackHost;

let cluster: LoopbackCluster;
let joinPort: number;
const hosts: Host[] = [];

const cli = (host: Host, ...args: string[]): Promise<Finished> => cluster.cli(host, ...args);
const ok = (host: Host, ...args: string[]): Promise<string> => cluster.ok(host, ...args);

const leaderOf = (host: Host): Promise<string | undefined> => cluster.leaderOf(host);

interface Allocated {
  id: string;
  subnet: string;
  vxlanId: number;
}

async function allocated(host: Host, ref: string): Promise<Allocated> {
  return waitFor(`network ${ref} allocated (asked ${host.name})`, async () => {
    const run = await cli(host, 'network', 'inspect', ref);
    if (run.code !== 0) return undefined;
    // network.Inspect: the allocated subnet in IPAM.Config, the VXLAN id in the driver's option
    const n = (JSON.parse(run.stdout) as Array<{ Id: string; IPAM: { Config: Array<{ Subnet?: string }> }; Options: Record<string, string> }>)[0]!;
    const vxlan = n.Options['com.docker.network.driver.overlay.vxlanid_list'];
    return n.IPAM.Config[0]?.Subnet && vxlan ? { id: n.Id, subnet: n.IPAM.Config[0].Subnet, vxlanId: Number(vxlan) } : undefined;
  }, LONG);
}

async function vipOn(host: Host, service: string, networkId: string): Promise<string> {
  return waitFor(`${service} VIP on ${networkId} (asked ${host.name})`, async () => {
    const run = await cli(host, 'service', 'inspect', service);
    if (run.code !== 0) return undefined;
    const s = (JSON.parse(run.stdout) as Array<{ Endpoint: { VirtualIPs?: Array<{ NetworkID: string; Addr: string }> } }>)[0]!;
    return s.Endpoint.VirtualIPs?.find((v) => v.NetworkID === networkId)?.Addr;
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
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ADDRS.map((_, i) => `e2e-nf${i + 1}`), tmpPrefix: 'flotillad-net-failover-', daemonArgs: [] });
  hosts.push(...cluster.hosts);
  joinPort = cluster.joinPort;
}, LONG);

afterAll(async () => {
  await cluster?.stop();
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
