// Linearizable reads on every manager (issue 14, item 4): three real flotillad managers on
// 127.0.4.1-.3. One follower's nats-server is paused with SIGSTOP (its Raft messages go nowhere,
// its daemon and control socket keep running), so that follower is cut off from the leader.
// Its `service ls` must never answer from its own, now stale, store: while it cannot reach the
// leader it refuses with the clear message; once its bus notices the dead server (NATS pings,
// a few seconds) and fails over to another manager's nats-server, it reaches the leader again and
// its answers have the write made meanwhile. Which of the two a given call meets is a race, so
// each answer is checked for being one or the other. (A manager that truly cannot reach a leader
// is refused in force-new-cluster.test.ts.) A write made through the other two meanwhile must be
// in the first answer the follower gives once its nats-server runs again. Nothing is mocked.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsServerPids } from '../../src/manager/stale-nats.js';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.4.1', '127.0.4.2', '127.0.4.3'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const NO_LEADER = /^flotilla: this manager cannot reach a Raft leader \(.+\): its view may be stale; try another manager\n$/;

let cluster: LoopbackCluster;
let paused: number[] = [];

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['reads-m1', 'reads-m2', 'reads-m3'], tmpPrefix: 'flotillad-reads-', daemonArgs: ['--log-level', 'debug'] });
}, LONG);

afterAll(async () => {
  // A failed run must not leave a stopped nats-server behind.
  signal(paused, 'SIGCONT');
  await cluster?.stop();
}, LONG);

describe('reads on a manager cut off from the leader', () => {
  it('three managers agree on one leader', async () => {
    const [m1, m2, m3] = cluster.hosts as [LoopbackHost, LoopbackHost, LoopbackHost];
    const out = await cluster.ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${cluster.joinPort}`);
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const token = (await cluster.ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    for (const host of [m2, m3]) {
      await cluster.ok(host, 'swarm', 'join', '--advertise-addr', host.addr, '--token', token, `${m1.addr}:${cluster.joinPort}`);
      host.nodeId = /NodeID: (\w+)/.exec(await cluster.ok(host, 'info'))![1]!;
    }
    for (const host of cluster.hosts) await waitFor(`${host.name} to see m1 lead`, async () => ((await cluster.leaderOf(host)) === m1.nodeId ? true : undefined), LONG);
    await cluster.ok(m1, 'service', 'create', '--detach', '--name', 'before', IMAGE, 'sleep', '1000');
  }, 2 * LONG);

  it('a follower whose nats-server is paused never answers from its stale store: it refuses with the clear message or answers with the write made meanwhile', async () => {
    const [m1, m2, m3] = cluster.hosts as [LoopbackHost, LoopbackHost, LoopbackHost];
    // Served from its own store before the cut: it has 'before'.
    expect(await cluster.ok(m2, 'service', 'ls')).toMatch(/\sbefore\s/);

    paused = await natsServerPids(join(m2.dataDir, 'swarm', 'nats'));
    expect(paused).toHaveLength(1);
    signal(paused, 'SIGSTOP');

    await cluster.ok(m1, 'service', 'create', '--detach', '--name', 'during', IMAGE, 'sleep', '1000');
    expect(await cluster.ok(m3, 'service', 'ls')).toMatch(/\sduring\s/);

    // The CLI gives up after 10 s on its own: every answer comes within that, refused or current.
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const began = Date.now();
      const ls = await cluster.cli(m2, 'service', 'ls');
      const tookMs = Date.now() - began;
      if (ls.code === 0) {
        expect(ls.stdout).toMatch(/\sduring\s/); // never the stale list without 'during'
        seen.push(`answered with 'during' after ${tookMs} ms`);
      } else {
        expect({ code: ls.code, stdout: ls.stdout }).toEqual({ code: 1, stdout: '' });
        expect(ls.stderr).toMatch(NO_LEADER);
        seen.push(`refused after ${tookMs} ms`);
      }
    }
    console.log(`service ls on the follower whose nats-server is paused: ${seen.join('; ')}`);
  }, 2 * LONG);

  it('once its nats-server runs again, the first answer the follower gives has the write made meanwhile', async () => {
    const [, m2] = cluster.hosts as [LoopbackHost, LoopbackHost, LoopbackHost];
    signal(paused, 'SIGCONT');
    paused = [];
    const first = await waitFor('service ls on the healed follower to answer', async () => {
      const run = await cluster.cli(m2, 'service', 'ls');
      return run.code === 0 ? run.stdout : undefined;
    }, LONG);
    expect(first).toMatch(/\sduring\s/);
    expect(first).toMatch(/\sbefore\s/);
  }, 2 * LONG);
});
