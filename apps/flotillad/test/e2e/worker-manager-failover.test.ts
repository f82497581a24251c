// A worker must outlive the manager it joined through, as a Docker swarm worker does: three
// managers and one worker, each a real flotillad on its own loopback address (like four hosts)
// with its own data dir, socket and certificates, all driving the same real Docker Engine. The
// worker joins through m1; m1 then dies (daemon and nats-server, as when the machine goes). The
// worker must stay Ready, keep getting work, and start again from its data dir while m1 is still
// gone. Nothing is mocked.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { waitFor } from '../helpers/wait.js';

const ADDRS = ['127.0.0.180', '127.0.0.181', '127.0.0.182', '127.0.0.183'] as const;
const IMAGE = 'flotilla/busybox:latest';
const LONG = 90_000;

let cluster: LoopbackCluster;
let m1: LoopbackHost;
let m2: LoopbackHost;
let m3: LoopbackHost;
let w1: LoopbackHost;

/** STATUS of every node in `node ls` on `host`, by hostname (undefined while the call fails). */
async function statuses(host: LoopbackHost): Promise<Map<string, string> | undefined> {
  const run = await cluster.cli(host, 'node', 'ls');
  if (run.code !== 0) return undefined;
  return new Map(
    run.stdout.split('\n').slice(1).filter(Boolean).map((line) => {
      const cells = line.replace(/^(\S+)\s\*\s/, '$1 ').split(/\s+/);
      return [cells[1]!, cells[2]!];
    }),
  );
}

/** Running tasks of `service` on the worker, per `service ps` on `host`. */
async function runningOnWorker(host: LoopbackHost, service: string): Promise<number> {
  const run = await cluster.cli(host, 'service', 'ps', service, '--filter', 'desired-state=running');
  if (run.code !== 0) return -1;
  return run.stdout.split('\n').filter((l) => l.includes(` ${w1.name} `) && /\sRunning\s/.test(l)).length;
}

async function killHost(host: LoopbackHost): Promise<void> {
  host.daemon!.child.kill('SIGKILL');
  await host.daemon!.exited;
  host.daemon = undefined;
  // The machine is gone: its nats-server (a child that outlives a SIGKILLed flotillad) goes too.
  await killStaleNatsServer(join(host.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
}

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: ADDRS, names: ['e2e-wf-m1', 'e2e-wf-m2', 'e2e-wf-m3', 'e2e-wf-w1'], tmpPrefix: 'flotillad-worker-failover-', daemonArgs: ['--log-level', 'debug'] });
  [m1, m2, m3, w1] = cluster.hosts as [LoopbackHost, LoopbackHost, LoopbackHost, LoopbackHost];
}, LONG);

afterAll(async () => {
  await cluster?.stop();
}, LONG);

describe('a worker when the manager it joined through dies', () => {
  it('three managers and a worker that joined through m1 form a swarm; a service runs on the worker', async () => {
    const port = cluster.joinPort;
    const out = await cluster.ok(m1, 'swarm', 'init', '--advertise-addr', m1.addr, '--listen-addr', `${m1.addr}:${port}`);
    m1.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const managerToken = (await cluster.ok(m1, 'swarm', 'join-token', '-q', 'manager')).trim();
    for (const m of [m2, m3]) {
      await cluster.ok(m, 'swarm', 'join', '--advertise-addr', m.addr, '--listen-addr', `${m.addr}:${port}`, '--token', managerToken, `${m1.addr}:${port}`);
      m.nodeId = /NodeID: (\w+)/.exec(await cluster.ok(m, 'info'))![1]!;
    }
    const workerToken = (await cluster.ok(m1, 'swarm', 'join-token', '-q', 'worker')).trim();
    await cluster.ok(w1, 'swarm', 'join', '--advertise-addr', w1.addr, '--token', workerToken, `${m1.addr}:${port}`);
    w1.nodeId = /NodeID: (\w+)/.exec(await cluster.ok(w1, 'info'))![1]!;
    await waitFor('four Ready nodes', async () => {
      const seen = await statuses(m1);
      return seen && [...seen.values()].filter((s) => s === 'Ready').length === 4 ? true : undefined;
    }, LONG);
    await cluster.ok(m1, 'service', 'create', '--detach', '--name', 'onworker', '--replicas', '2', '--constraint', 'node.role==worker', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    await waitFor('2 tasks running on the worker', async () => ((await runningOnWorker(m1, 'onworker')) === 2 ? true : undefined), LONG);
  }, 3 * LONG);

  it('the worker learns every manager from its session, not only the one it joined through', async () => {
    // what a restarted worker will dial: its swarm state on disk
    await waitFor('the worker to record all three managers', async () => {
      const info = await cluster.ok(w1, 'info');
      return [m1, m2, m3].every((m) => info.includes(m.addr)) ? true : undefined;
    }, LONG);
  }, LONG);

  it('m1 dies: the worker stays Ready for the other managers and takes new work', async () => {
    await killHost(m1);
    await waitFor('m1 Down and the worker Ready, seen from m2', async () => {
      const seen = await statuses(m2);
      return seen?.get(m1.name) === 'Down' && seen.get(w1.name) === 'Ready' ? true : undefined;
    }, LONG);
    await cluster.ok(m2, 'service', 'scale', '--detach', 'onworker=3');
    await waitFor('3 tasks running on the worker', async () => ((await runningOnWorker(m2, 'onworker')) === 3 ? true : undefined), LONG);
    expect((await statuses(m3))?.get(w1.name)).toBe('Ready');
  }, 2 * LONG);

  it('the worker restarted from its data dir while m1 is still gone reconnects to the others', async () => {
    w1.daemon!.child.kill('SIGKILL');
    await w1.daemon!.exited;
    await cluster.start(w1);
    await cluster.ok(m3, 'service', 'scale', '--detach', 'onworker=4');
    await waitFor('4 tasks running on the worker after its restart', async () => ((await runningOnWorker(m3, 'onworker')) === 4 ? true : undefined), LONG);
    await waitFor('the restarted worker Ready, seen from m2', async () => ((await statuses(m2))?.get(w1.name) === 'Ready' ? true : undefined), LONG);
  }, 2 * LONG);
});
