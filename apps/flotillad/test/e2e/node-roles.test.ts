// node promote / demote end to end: one manager and two workers, each a real flotillad on its own
// loopback address (like three hosts) with its own data dir, socket and certificates, all driving
// the same real Docker Engine. A promoted worker gets a manager certificate from the CA, starts its
// own nats-server routed to the manager, joins Raft as a voter and serves the control API; demoted,
// it leaves the voters, gets a worker certificate and reconnects as a worker. Nothing is mocked.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import type { Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.110', '127.0.0.111', '127.0.0.112'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 90_000;

type Host = LoopbackHost;

let cluster: LoopbackCluster;
let joinPort: number;
const hosts: Host[] = [];

const start = (host: Host): Promise<void> => cluster.start(host);

const cli = (host: Host, ...args: string[]): Promise<Finished> => cluster.cli(host, ...args);
const ok = (host: Host, ...args: string[]): Promise<string> => cluster.ok(host, ...args);

/** `node ls` seen from `host`: the MANAGER STATUS column ('' for workers) by node id, undefined if the call fails. */
async function managerStatuses(host: Host): Promise<Map<string, string> | undefined> {
  const run = await cli(host, 'node', 'ls');
  if (run.code !== 0) return undefined;
  return new Map(
    run.stdout.split('\n').slice(1).filter(Boolean).map((line) => {
      const cells = line.replace(/^(\S+)\s\*\s/, '$1 ').split(/\s+/);
      return [cells[0]!, cells[4] && /^(Leader|Reachable|Unreachable)$/.test(cells[4]) ? cells[4] : ''];
    }),
  );
}

async function certOu(host: Host): Promise<string> {
  const pem = await readFile(join(host.dataDir, 'swarm', 'certificates', 'node.crt'), 'utf8');
  return /OU=([\w-]+)/.exec(new X509Certificate(pem).subject)?.[1] ?? '';
}

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['e2e-r-m1', 'e2e-r-w1', 'e2e-r-w2'], tmpPrefix: 'flotillad-roles-', daemonArgs: ['--log-level', 'debug'] });
  hosts.push(...cluster.hosts);
  joinPort = cluster.joinPort;
}, LONG);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('node promote / demote', () => {
  it('one manager and two workers form a swarm', async () => {
    const [m1, w1, w2] = hosts as [Host, Host, Host];
    const out = await ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${joinPort}`);
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const token = (await ok(m1, 'swarm', 'join-token', '-q', 'worker')).trim();
    for (const host of [w1, w2]) {
      expect(await ok(host, 'swarm', 'join', '--advertise-addr', host.addr, '--token', token, `${m1.addr}:${joinPort}`)).toBe('This node joined a swarm as a worker.\n');
      host.nodeId = /NodeID: (\w+)/.exec(await ok(host, 'info'))![1]!;
    }
    await waitFor('three Ready nodes', async () => {
      const run = await cli(m1, 'node', 'ls');
      return run.code === 0 && (run.stdout.match(/\sReady\s/g) ?? []).length === 3 ? true : undefined;
    }, LONG);
    expect(await certOu(w1)).toBe('flotilla-worker');
  }, 2 * LONG);

  it('refuses to demote the only manager, and a promote of a manager says it already is one', async () => {
    const [m1] = hosts as [Host, Host, Host];
    const refused = await cli(m1, 'node', 'demote', m1.name);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot demote the last manager of the swarm');
    expect(await ok(m1, 'node', 'promote', m1.name)).toBe(`Node ${m1.name} is already a manager.\n`);
    const bad = await cli(m1, 'node', 'update', '--role', 'boss', m1.name);
    expect(bad.code).toBe(2);
    expect((await managerStatuses(m1))?.get(m1.nodeId)).toBe('Leader');
  }, LONG);

  it('a promoted worker becomes a Reachable manager with a manager certificate and serves the control API', async () => {
    const [m1, w1, w2] = hosts as [Host, Host, Host];
    // A task on w1 before the promotion keeps running through it (the agent adopts its container).
    await ok(m1, 'service', 'create', '--replicas', '2', '--name', 'before', '--constraint', `node.hostname!=${m1.name}`, IMAGE, 'sleep', '1000');
    expect(await ok(m1, 'node', 'promote', w1.name)).toBe(`Node ${w1.name} promoted to a manager in the swarm.\n`);
    for (const host of [m1, w1]) {
      await waitFor(`m1 Leader and w1 Reachable seen from ${host.name}`, async () => {
        const seen = await managerStatuses(host);
        return seen?.get(m1.nodeId) === 'Leader' && seen.get(w1.nodeId) === 'Reachable' && seen.get(w2.nodeId) === '' ? true : undefined;
      }, LONG);
    }
    expect(await certOu(w1)).toBe('flotilla-manager');
    expect(await ok(w1, 'info')).toContain('Is Manager: true');
    // Writes through the promoted node's socket are forwarded to the leader and converge.
    expect(await ok(w1, 'service', 'create', '--replicas', '3', '--name', 'promoted', IMAGE, 'sleep', '1000')).toContain('verify: Service converged');
    await waitFor('before 2/2 and promoted 3/3 seen from m1', async () => {
      const ls = await ok(m1, 'service', 'ls');
      return /\sbefore\s+replicated\s+2\/2\s/.test(ls) && /\spromoted\s+replicated\s+3\/3\s/.test(ls) ? true : undefined;
    }, LONG);
  }, 3 * LONG);

  it('a demoted manager leaves the voters, gets a worker certificate and runs tasks as a worker again', async () => {
    const [m1, w1, w2] = hosts as [Host, Host, Host];
    expect(await ok(m1, 'node', 'demote', w1.name)).toBe(`Manager ${w1.name} demoted in the swarm.\n`);
    await waitFor('w1 a worker again, seen from m1', async () => {
      const seen = await managerStatuses(m1);
      return seen?.get(m1.nodeId) === 'Leader' && seen.get(w1.nodeId) === '' && seen.get(w2.nodeId) === '' ? true : undefined;
    }, LONG);
    await waitFor('w1 says it is a worker with a worker certificate', async () => {
      const run = await cli(w1, 'info');
      return run.code === 0 && run.stdout.includes('Is Manager: false') && (await certOu(w1)) === 'flotilla-worker' ? true : undefined;
    }, LONG);
    const refused = await cli(w1, 'service', 'ls');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not a swarm manager/);
    await waitFor('w1 Ready as a worker', async () => (/\sReady\s/.test((await ok(m1, 'node', 'ls')).split('\n').find((l) => l.startsWith(w1.nodeId)) ?? '') ? true : undefined), LONG);
    // The swarm still takes writes with its single manager, and w1 still runs tasks.
    await ok(m1, 'service', 'scale', 'promoted=4');
    await waitFor('promoted 4/4 and before 2/2', async () => {
      const ls = await ok(m1, 'service', 'ls');
      return /\spromoted\s+replicated\s+4\/4\s/.test(ls) && /\sbefore\s+replicated\s+2\/2\s/.test(ls) ? true : undefined;
    }, LONG);
    expect(await ok(m1, 'node', 'ps', w1.name)).toMatch(/Running/);
  }, 3 * LONG);

  it('the leader itself can be demoted once another manager is there: it hands leadership over first', async () => {
    const [m1, w1, w2] = hosts as [Host, Host, Host];
    expect(await ok(m1, 'node', 'update', '--role', 'manager', w2.name)).toBe(`${w2.nodeId}\n`);
    await waitFor('w2 Reachable', async () => ((await managerStatuses(w2))?.get(w2.nodeId) === 'Reachable' ? true : undefined), LONG);
    expect(await ok(w2, 'node', 'demote', m1.name)).toBe(`Manager ${m1.name} demoted in the swarm.\n`);
    await waitFor('w2 Leader, m1 and w1 workers, seen from w2', async () => {
      const seen = await managerStatuses(w2);
      return seen?.get(w2.nodeId) === 'Leader' && seen.get(m1.nodeId) === '' && seen.get(w1.nodeId) === '' ? true : undefined;
    }, LONG);
    await waitFor('m1 a worker with a worker certificate', async () => {
      const run = await cli(m1, 'info');
      return run.code === 0 && run.stdout.includes('Is Manager: false') && (await certOu(m1)) === 'flotilla-worker' ? true : undefined;
    }, LONG);
    // The last manager left cannot be demoted; the swarm keeps working under it.
    const refused = await cli(w2, 'node', 'demote', w2.name);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot demote the last manager of the swarm');
    await ok(w2, 'service', 'scale', 'promoted=2');
    await waitFor('promoted 2/2 and every node Ready, seen from w2', async () => {
      const ls = await ok(w2, 'service', 'ls');
      const nodes = await ok(w2, 'node', 'ls');
      return /\spromoted\s+replicated\s+2\/2\s/.test(ls) && (nodes.match(/\sReady\s/g) ?? []).length === 3 ? true : undefined;
    }, LONG);
  }, 3 * LONG);

  it('a promoted manager restarts from its data dir as a manager and leads again', async () => {
    const [m1, , w2] = hosts as [Host, Host, Host];
    w2.daemon!.child.kill('SIGTERM');
    await w2.daemon!.exited;
    await start(w2);
    await waitFor('w2 Leader again with its services', async () => {
      const seen = await managerStatuses(w2);
      const ls = await cli(w2, 'service', 'ls');
      return seen?.get(w2.nodeId) === 'Leader' && ls.code === 0 && /\spromoted\s+replicated\s+2\/2\s/.test(ls.stdout) ? true : undefined;
    }, LONG);
    expect(await certOu(w2)).toBe('flotilla-manager');
    // m1, demoted while w2 was the other manager, talks to w2's NATS server and is Ready.
    await waitFor('m1 Ready seen from the restarted w2', async () => (/\sReady\s/.test((await ok(w2, 'node', 'ls')).split('\n').find((l) => l.startsWith(m1.nodeId)) ?? '') ? true : undefined), LONG);
  }, 2 * LONG);
});
