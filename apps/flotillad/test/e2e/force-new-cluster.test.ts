// Disaster recovery, docker's way (issue 14, item 8): three real managers and a worker on
// 127.0.4.11-.14. Two managers die for good (daemon, nats-server and their containers gone, as
// when machines burn), so the third has no quorum. It is restarted from its data dir and runs
// `swarm init --force-new-cluster`: it becomes the only voter and leader with the swarm's state,
// the dead managers stay listed (Down) but are refused, services keep running and converge,
// the worker's containers were never touched, new writes work, and a new manager (.15) joins.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.4.11', '127.0.4.12', '127.0.4.13', '127.0.4.14', '127.0.4.15'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

let cluster: LoopbackCluster;
let m1: LoopbackHost, m2: LoopbackHost, m3: LoopbackHost, w1: LoopbackHost, m4: LoopbackHost;

async function runningContainersOf(host: LoopbackHost): Promise<string[]> {
  const list = await docker.listContainers({ filters: { label: [`io.flotilla.node.id=${host.nodeId}`], status: ['running'] } });
  return list.map((c) => c.Id).sort();
}

/** `node ls` rows by node id. */
async function nodeRows(host: LoopbackHost): Promise<Map<string, string>> {
  const out = await cluster.ok(host, 'node', 'ls');
  return new Map(out.split('\n').slice(1).filter(Boolean).map((line) => [line.split(/\s+/)[0]!.replace('*', ''), line]));
}

/** The machine is gone for good: the daemon, its nats-server and its containers. */
async function destroy(host: LoopbackHost): Promise<void> {
  host.daemon!.child.kill('SIGKILL');
  await host.daemon!.exited;
  host.daemon = undefined;
  await killStaleNatsServer(join(host.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
  for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${host.nodeId}`] } })) await docker.getContainer(c.Id).remove({ force: true });
}

/** The routes a host's nats-server was started with (its generated config). */
async function natsRoutes(host: LoopbackHost): Promise<string[]> {
  const conf = await readFile(join(host.dataDir, 'swarm', 'nats', 'nats-server.conf'), 'utf8');
  return [...(/^\s*routes: \[(.*)\]$/m.exec(conf)?.[1] ?? '').matchAll(/nats-route:\/\/([\d.]+):\d+/g)].map((m) => m[1]!);
}

const managersLine = async (host: LoopbackHost): Promise<string> => /Managers: \d+/.exec(await cluster.ok(host, 'info'))?.[0] ?? 'no Managers line';

const serviceLine = (ls: string, name: string, replicas: string) => new RegExp(`\\s${name}\\s+replicated\\s+${replicas}\\s`).test(ls);

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['dr-m1', 'dr-m2', 'dr-m3', 'dr-w1', 'dr-m4'], tmpPrefix: 'flotillad-force-', daemonArgs: ['--log-level', 'debug'] });
  [m1, m2, m3, w1, m4] = cluster.hosts as [LoopbackHost, LoopbackHost, LoopbackHost, LoopbackHost, LoopbackHost];
}, LONG);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('swarm init --force-new-cluster on the last manager standing', () => {
  let workerContainers: string[] = [];

  it('three managers and a worker run a replicated service', async () => {
    const out = await cluster.ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${cluster.joinPort}`);
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const managerToken = (await cluster.ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    const workerToken = (await cluster.ok(m1, 'swarm', 'join-token', '-q', 'worker')).trim();
    for (const [host, token] of [[m2, managerToken], [m3, managerToken], [w1, workerToken]] as const) {
      await cluster.ok(host, 'swarm', 'join', '--advertise-addr', host.addr, '--token', token, `${m1.addr}:${cluster.joinPort}`);
      host.nodeId = /NodeID: (\w+)/.exec(await cluster.ok(host, 'info'))![1]!;
    }
    await waitFor('four Ready nodes and one leader', async () => {
      const rows = await nodeRows(m1);
      return [m1, m2, m3, w1].every((h) => /\sReady\s/.test(rows.get(h.nodeId) ?? '')) && /\sLeader\s/.test(rows.get(m1.nodeId) ?? '') ? true : undefined;
    }, LONG);
    await cluster.ok(m1, 'service', 'create', '--detach', '--replicas', '8', '--name', 'web', IMAGE, 'sleep', '100000');
    await waitFor('web 8/8', async () => (serviceLine(await cluster.ok(m1, 'service', 'ls'), 'web', '8/8') ? true : undefined), 2 * LONG);
    workerContainers = await runningContainersOf(w1);
    expect(workerContainers.length).toBeGreaterThan(0);
  }, 4 * LONG);

  it('two managers die for good: the last one cannot reach a leader and says so', async () => {
    await destroy(m2);
    await destroy(m3);
    const ls = await cluster.cli(m1, 'service', 'ls');
    expect(ls.code).toBe(1);
    expect(ls.stderr).toMatch(/^flotilla: this manager cannot reach a Raft leader \(.+\): its view may be stale; try another manager\n$/);
  }, 2 * LONG);

  it('restarted from its data dir, --force-new-cluster makes it the only manager, the dead ones dropped but listed', async () => {
    m1.daemon!.child.kill('SIGTERM');
    await m1.daemon!.exited;
    // Without a quorum its Raft member waits for a leader before the daemon serves.
    await cluster.start(m1, 2 * LONG);
    const out = await cluster.ok(m1, 'swarm', 'init', '--force-new-cluster');
    expect(out).toContain(`Swarm initialized: current node (${m1.nodeId}) is now a manager.`);
    expect(out).toContain(`The other managers (${[m2.nodeId, m3.nodeId].sort().join(', ')}) are no longer part of the swarm`);
    const rows = await nodeRows(m1);
    expect(rows.get(m1.nodeId)).toMatch(/\sLeader\s/);
    for (const dead of [m2, m3]) expect(rows.has(dead.nodeId), `${dead.name} still listed`).toBe(true);
    await waitFor('the dead managers Down and Unreachable', async () => {
      const now = await nodeRows(m1);
      return [m2, m3].every((h) => /\sDown\s+Active\s+Unreachable\s/.test(now.get(h.nodeId) ?? '')) ? true : undefined;
    }, 2 * LONG);
    // Listed, but no managers of this swarm: not counted, and no route is dialled to them.
    expect(await managersLine(m1)).toBe('Managers: 1');
    expect(await natsRoutes(m1)).toEqual([]);
  }, 4 * LONG);

  it('the service keeps running and converges, the worker never lost a container, and new writes work', async () => {
    await waitFor('the worker Ready again', async () => (/\sReady\s/.test((await nodeRows(m1)).get(w1.nodeId) ?? '') ? true : undefined), LONG);
    await waitFor('web 8/8 on the survivors', async () => (serviceLine(await cluster.ok(m1, 'service', 'ls'), 'web', '8/8') ? true : undefined), 2 * LONG);
    const now = await runningContainersOf(w1);
    for (const id of workerContainers) expect(now, 'a container the worker ran before the disaster').toContain(id);
    await cluster.ok(m1, 'service', 'create', '--detach', '--replicas', '2', '--name', 'after', IMAGE, 'sleep', '100000');
    await waitFor('after 2/2', async () => (serviceLine(await cluster.ok(m1, 'service', 'ls'), 'after', '2/2') ? true : undefined), 2 * LONG);
  }, 5 * LONG);

  it('a new manager joins the one-manager swarm and takes writes; a dropped manager can be removed', async () => {
    const token = (await cluster.ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    expect(await cluster.ok(m4, 'swarm', 'join', '--advertise-addr', m4.addr, '--token', token, `${m1.addr}:${cluster.joinPort}`)).toBe('This node joined a swarm as a manager.\n');
    m4.nodeId = /NodeID: (\w+)/.exec(await cluster.ok(m4, 'info'))![1]!;
    await waitFor('m4 a Reachable manager, m1 the leader, seen from m4', async () => {
      const rows = await nodeRows(m4);
      return /\sReady\s+Active\s+Reachable\s/.test(rows.get(m4.nodeId) ?? '') && /\sLeader\s/.test(rows.get(m1.nodeId) ?? '') ? true : undefined;
    }, 2 * LONG);
    // The new manager routes to the survivor only, not to the managers it dropped.
    expect(await natsRoutes(m4)).toEqual([m1.addr]);
    for (const h of [m1, m4]) expect(await managersLine(h)).toBe('Managers: 2');
    await cluster.ok(m4, 'service', 'scale', '--detach', 'after=3');
    await waitFor('after 3/3 seen from both managers', async () => {
      const both = await Promise.all([m1, m4].map((h) => cluster.ok(h, 'service', 'ls')));
      return both.every((ls) => serviceLine(ls, 'after', '3/3')) ? true : undefined;
    }, 2 * LONG);
    await cluster.ok(m1, 'node', 'rm', m2.nodeId);
    expect((await nodeRows(m1)).has(m2.nodeId)).toBe(false);
  }, 5 * LONG);
});
