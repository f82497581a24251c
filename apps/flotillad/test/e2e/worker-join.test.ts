// A second flotillad joins the swarm as a worker: two real daemons on their own loopback
// addresses (like two hosts), real nats-server, real Docker (both agents drive the same local
// engine; each knows its containers by the io.flotilla.node.id label). Nothing is mocked.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { pickFreePort } from '@flotilla/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const MANAGER_ADDR = '127.0.0.22';
const WORKER_ADDR = '127.0.0.23';
const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

interface Host {
  name: string;
  dataDir: string;
  socket: string;
  daemon?: DaemonProcess;
  nodeId: string;
}

let dir: string;
let natsPort: number;
const hosts: Host[] = [];

async function start(host: Host): Promise<void> {
  // Same NATS client port on both, as on separate machines: the worker dials the manager's address on it.
  host.daemon = spawnDaemon(['--data-dir', host.dataDir, '--control-socket', host.socket, '--node-name', host.name, '--nats-port', String(natsPort), '--nats-cluster-port', '0', '--log-level', 'debug']);
  await waitUntilServing(host.daemon, host.socket);
}

const cli = (host: Host, ...args: string[]): Promise<Finished> => runCli(['-H', `unix://${host.socket}`, ...args]);
async function ok(host: Host, ...args: string[]): Promise<string> {
  const run = await cli(host, ...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} on ${host.name} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

const running = (label: string) => docker.listContainers({ filters: { label: [label], status: ['running'] } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-join-'));
  natsPort = await pickFreePort(MANAGER_ADDR);
  for (const name of ['e2e-mgr', 'e2e-wrk']) {
    const host: Host = { name, dataDir: join(dir, name), socket: join(dir, `${name}.sock`), nodeId: '' };
    hosts.push(host);
    await start(host);
  }
});

afterAll(async () => {
  for (const host of hosts) {
    if (host.daemon) {
      host.daemon.child.kill('SIGTERM');
      await host.daemon.exited;
    }
    await killStaleNatsServer(join(host.dataDir, 'swarm', 'nats'), pino({ level: 'silent' }));
    if (host.nodeId) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`io.flotilla.node.id=${host.nodeId}`] } })) {
        await docker.getContainer(c.Id).remove({ force: true });
      }
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe('swarm join of a worker', () => {
  const [manager, worker] = [() => hosts[0]!, () => hosts[1]!];
  let joinArgs: string[] = [];

  it('the manager initialises and prints the worker join command', async () => {
    const out = await ok(manager(), 'swarm', 'init', '--advertise-addr', MANAGER_ADDR, '--listen-addr', `${MANAGER_ADDR}:0`);
    manager().nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const command = /flotilla swarm join (--token \S+ \S+)\n/.exec(out)![1]!;
    joinArgs = command.split(' ');
    expect(joinArgs[2]).toMatch(/^127\.0\.0\.22:\d+$/);
  });

  it('refuses a wrong token and changes nothing', async () => {
    const wrongSecret = `${joinArgs[1]!.slice(0, -25)}${'a'.repeat(25)}`;
    const run = await cli(worker(), 'swarm', 'join', '--advertise-addr', WORKER_ADDR, '--token', wrongSecret, joinArgs[2]!);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^flotilla: could not join the swarm through 127\.0\.0\.22:\d+: .*invalid join token\n$/);
    expect(await ok(worker(), 'info')).toContain('Swarm: inactive');
  });

  it('joins with the worker token: the manager lists it Ready, the worker is no manager', async () => {
    expect(await ok(worker(), 'swarm', 'join', '--advertise-addr', WORKER_ADDR, ...joinArgs)).toBe('This node joined a swarm as a worker.\n');
    const info = await ok(worker(), 'info');
    expect(info).toContain('Swarm: active');
    expect(info).toContain('Is Manager: false');
    worker().nodeId = /NodeID: (\w+)/.exec(info)![1]!;
    await waitFor('the worker Ready on the manager', async () => (new RegExp(`^${worker().nodeId}\\s+e2e-wrk\\s+Ready\\s+Active\\s*\\d`, 'm').test(await ok(manager(), 'node', 'ls')) ? true : undefined), LONG);
    const workerNodeLs = await cli(worker(), 'node', 'ls');
    expect(workerNodeLs.code).toBe(1);
    expect(workerNodeLs.stderr).toMatch(/this node is not a swarm manager/);
  });

  it('spreads replicas over both nodes', async () => {
    expect(await ok(manager(), 'service', 'create', '--replicas', '4', '--name', 'spread', IMAGE, 'sleep', '1000')).toContain('verify: Service converged');
    for (const host of [manager(), worker()]) {
      const mine = await running(`io.flotilla.node.id=${host.nodeId}`);
      expect(mine.filter((c) => c.Labels['io.flotilla.service.name'] === 'spread')).toHaveLength(2);
    }
    const ps = await ok(manager(), 'service', 'ps', 'spread');
    expect(ps.match(/\se2e-mgr\s/g)).toHaveLength(2);
    expect(ps.match(/\se2e-wrk\s/g)).toHaveLength(2);
  });

  it('a worker restarted while its manager is down starts anyway, says pending, and reconnects', async () => {
    const workerContainers = (await running(`io.flotilla.node.id=${worker().nodeId}`)).map((c) => c.Id).sort();
    for (const host of [manager(), worker()]) {
      host.daemon!.child.kill(host === manager() ? 'SIGTERM' : 'SIGKILL');
      await host.daemon!.exited;
      host.daemon = undefined;
    }
    await start(worker());
    expect(await ok(worker(), 'info')).toContain('Swarm: pending');
    await start(manager());
    await waitFor('the worker active again', async () => ((await ok(worker(), 'info')).includes('Swarm: active') ? true : undefined), LONG);
    await waitFor('the worker Ready on the manager', async () => (new RegExp(`^${worker().nodeId}\\s+e2e-wrk\\s+Ready`, 'm').test(await ok(manager(), 'node', 'ls')) ? true : undefined), LONG);
    await waitFor('spread 4/4', async () => (/\sspread\s+replicated\s+4\/4\s/.test(await ok(manager(), 'service', 'ls')) ? true : undefined), LONG);
    // the worker took its own containers back
    expect((await running(`io.flotilla.node.id=${worker().nodeId}`)).map((c) => c.Id).sort()).toEqual(workerContainers);
  });

  it('when the worker leaves, its containers go and its tasks move to the manager', async () => {
    expect(await ok(worker(), 'swarm', 'leave')).toBe('Node left the swarm.\n');
    expect(await running(`io.flotilla.node.id=${worker().nodeId}`)).toHaveLength(0);
    await waitFor('the worker Down on the manager', async () => (new RegExp(`^${worker().nodeId}\\s+e2e-wrk\\s+Down`, 'm').test(await ok(manager(), 'node', 'ls')) ? true : undefined), LONG);
    await waitFor(
      '4 spread containers on the manager',
      async () => ((await running(`io.flotilla.node.id=${manager().nodeId}`)).filter((c) => c.Labels['io.flotilla.service.name'] === 'spread').length === 4 ? true : undefined),
      LONG,
    );
    await waitFor('spread 4/4 again', async () => (/\sspread\s+replicated\s+4\/4\s/.test(await ok(manager(), 'service', 'ls')) ? true : undefined), LONG);
  });
});
