// Three managers, each a real flotillad on its own loopback address (like three hosts) with its
// own data dir, socket, nats-server and Raft WAL, all driving the same real Docker Engine (each
// agent knows its containers by the io.flotilla.node.id label). The leader is SIGKILLed (and its
// nats-server with it, as when a machine dies); the other two elect a leader and keep taking
// writes; the old leader restarts from its data dir and catches up. Nothing is mocked.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import type { Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.31', '127.0.0.32', '127.0.0.33'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;

type Host = LoopbackHost;

let cluster: LoopbackCluster;
let joinPort: number;
const hosts: Host[] = [];

const start = (host: Host): Promise<void> => cluster.start(host);

const cli = (host: Host, ...args: string[]): Promise<Finished> => cluster.cli(host, ...args);
const ok = (host: Host, ...args: string[]): Promise<string> => cluster.ok(host, ...args);

/** `node ls` lines by node id: status and manager status columns. */
async function nodeTable(host: Host): Promise<Map<string, string>> {
  const out = await ok(host, 'node', 'ls');
  return new Map(out.split('\n').slice(1).filter(Boolean).map((line) => [line.split(/\s+/)[0]!.replace('*', ''), line]));
}

const leaderOf = (host: Host): Promise<string | undefined> => cluster.leaderOf(host);

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ADDRS.map((_, i) => `e2e-m${i + 1}`), tmpPrefix: 'flotillad-managers-', daemonArgs: ['--log-level', 'debug'] });
  hosts.push(...cluster.hosts);
  joinPort = cluster.joinPort;
}, LONG);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('three managers', () => {
  let killed: Host | undefined;

  it('the first initialises; two more join with the manager token and become voters', async () => {
    const [m1, m2, m3] = hosts as [Host, Host, Host];
    const out = await ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${joinPort}`);
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const token = (await ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    for (const host of [m2, m3]) {
      expect(await ok(host, 'swarm', 'join', '--advertise-addr', host.addr, '--token', token, `${m1.addr}:${joinPort}`)).toBe('This node joined a swarm as a manager.\n');
      const info = await ok(host, 'info');
      expect(info).toContain('Is Manager: true');
      host.nodeId = /NodeID: (\w+)/.exec(info)![1]!;
    }
    for (const host of hosts) {
      await waitFor(`three Ready managers seen from ${host.name}`, async () => {
        const table = await nodeTable(host);
        const ready = hosts.every((h) => /\sReady\s+Active\s+(Leader|Reachable)\s/.test(table.get(h.nodeId) ?? ''));
        return ready ? true : undefined;
      }, LONG);
      expect(await leaderOf(host)).toBe(m1.nodeId);
    }
  }, 2 * LONG);

  it('a replicated service runs; a follower takes writes too (forwarded to the leader)', async () => {
    const [m1, m2] = hosts as [Host, Host, Host];
    expect(await ok(m1, 'service', 'create', '--replicas', '3', '--name', 'web', IMAGE, 'sleep', '1000')).toContain('verify: Service converged');
    await ok(m2, 'service', 'scale', 'web=4');
    for (const host of hosts) {
      await waitFor(`web 4/4 seen from ${host.name}`, async () => (/\sweb\s+replicated\s+4\/4\s/.test(await ok(host, 'service', 'ls')) ? true : undefined), LONG);
    }
    const taken = await cli(m2, 'service', 'create', '--name', 'web', IMAGE, 'sleep', '1');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already/);
  }, 2 * LONG);

  it('SIGKILL of the leader: another manager leads within a deadline and takes writes', async () => {
    const leaderId = await leaderOf(hosts[0]!);
    killed = hosts.find((h) => h.nodeId === leaderId)!;
    killed.daemon!.child.kill('SIGKILL');
    await killed.daemon!.exited;
    killed.daemon = undefined;
    // The machine is gone: its nats-server (a child that outlives a SIGKILLed flotillad) goes too.
    await killStaleNatsServer(join(killed.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
    const survivors = hosts.filter((h) => h !== killed);
    const newLeader = await waitFor('a new leader among the survivors', async () => {
      const seen = await leaderOf(survivors[0]!);
      return seen && seen !== killed!.nodeId ? seen : undefined;
    }, 30_000);
    expect(survivors.map((h) => h.nodeId)).toContain(newLeader);
    const follower = survivors.find((h) => h.nodeId !== newLeader)!;
    const leader = survivors.find((h) => h.nodeId === newLeader)!;
    await ok(follower, 'service', 'scale', '--detach', 'web=5');
    await ok(leader, 'service', 'create', '--detach', '--replicas', '2', '--name', 'after', IMAGE, 'sleep', '1000');
    for (const host of survivors) {
      await waitFor(`web 5/5 and after 2/2 on ${host.name}`, async () => {
        const ls = await ok(host, 'service', 'ls');
        return /\sweb\s+replicated\s+5\/5\s/.test(ls) && /\safter\s+replicated\s+2\/2\s/.test(ls) ? true : undefined;
      }, LONG);
    }
    const table = await nodeTable(follower);
    await waitFor('the killed manager Down', async () => (/\sDown\s/.test((await nodeTable(follower)).get(killed!.nodeId) ?? '') ? true : undefined), LONG);
    expect(table.get(newLeader)).toMatch(/\sLeader\s/);
  }, 3 * LONG);

  it('the killed manager restarts from its data dir as a follower and has the new writes', async () => {
    await start(killed!);
    await waitFor(`the new writes on ${killed!.name}`, async () => {
      const run = await cli(killed!, 'service', 'ls');
      return run.code === 0 && /\sweb\s+replicated\s+\d\/5\s/.test(run.stdout) && /\safter\s+replicated\s+\d\/2\s/.test(run.stdout) ? true : undefined;
    }, LONG);
    const leader = await leaderOf(killed!);
    expect(leader).toBeDefined();
    expect(leader).not.toBe(killed!.nodeId);
    await waitFor(`${killed!.name} Ready again`, async () => (/\sReady\s+Active\s+Reachable\s/.test((await nodeTable(killed!)).get(killed!.nodeId) ?? '') ? true : undefined), LONG);
    // and it writes through the leader
    await ok(killed!, 'service', 'scale', '--detach', 'after=1');
    for (const host of hosts) {
      await waitFor(`after 1/1 on ${host.name}`, async () => (/\safter\s+replicated\s+1\/1\s/.test(await ok(host, 'service', 'ls')) ? true : undefined), LONG);
    }
  }, 3 * LONG);

  it('a manager leaving (--force) is taken out of the managers; the two left keep taking writes', async () => {
    const leaving = killed!;
    const refused = await cli(leaving, 'swarm', 'leave');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/fewer to keep quorum/);
    expect(await ok(leaving, 'swarm', 'leave', '--force')).toBe('Node left the swarm.\n');
    leaving.daemon!.child.kill('SIGTERM');
    await leaving.daemon!.exited;
    leaving.daemon = undefined;
    const remaining = hosts.filter((h) => h !== leaving);
    for (const host of remaining) {
      await waitFor(`${leaving.name} no manager on ${host.name}`, async () => {
        const line = (await nodeTable(host)).get(leaving.nodeId) ?? '';
        return line !== '' && !/\s(Leader|Reachable)(\s|$)/.test(line) ? true : undefined;
      }, LONG);
    }
    await ok(remaining[0]!, 'service', 'scale', '--detach', 'after=2');
    for (const host of remaining) {
      await waitFor(`after 2/2 on ${host.name}`, async () => (/\safter\s+replicated\s+2\/2\s/.test(await ok(host, 'service', 'ls')) ? true : undefined), LONG);
    }
  }, 2 * LONG);
});
