// Health checks end to end: a real flotillad, the real CLI, real containers in the local Docker
// Engine (flotilla/busybox:latest, never pulled). A task whose check fails is reported FAILED
// "unhealthy container" and the restart policy replaces it; a task whose check passes runs.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.0.42';
const IMAGE = 'flotilla/busybox:latest';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const LONG = 60_000;

let dir: string;
let dataDir: string;
let socket: string;
let daemon: DaemonProcess | undefined;
let nodeId = '';

async function cli(...args: string[]): Promise<Finished> {
  return runCli(['-H', `unix://${socket}`, ...args]);
}

async function ok(...args: string[]): Promise<string> {
  const run = await cli(...args);
  if (run.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run.stdout;
}

async function containerIds(service: string, status?: string): Promise<string[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`io.flotilla.node.id=${nodeId}`, `io.flotilla.service.name=${service}`], ...(status ? { status: [status] } : {}) },
  });
  return list.map((c) => c.Id);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-e2e-health-'));
  dataDir = join(dir, 'data');
  socket = join(dir, 'ctl.sock');
  daemon = spawnDaemon(['--data-dir', dataDir, '--control-socket', socket, '--node-name', 'e2e-health-1', '--nats-port', '0', '--nats-cluster-port', '0']);
  await waitUntilServing(daemon, socket);
  const out = await ok('swarm', 'init', '--advertise-addr', ADDR, '--listen-addr', `${ADDR}:0`);
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

describe('service health checks', () => {
  it('a task whose --health-cmd fails is FAILED "unhealthy container" and replaced', async () => {
    await ok(
      'service', 'create', '--detach', '--name', 'sick', '--replicas', '1',
      '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '2',
      '--restart-delay', '0s', '--stop-grace-period', '1s',
      IMAGE, 'sleep', '3600',
    );
    const ps = await waitFor(
      'a task failed as unhealthy and a replacement task',
      async () => {
        const out = await ok('service', 'ps', 'sick', '--no-trunc');
        const rows = out.trim().split('\n').slice(1);
        return out.includes('unhealthy container') && rows.length >= 2 ? out : undefined;
      },
      LONG,
    );
    expect(ps).toMatch(/Failed.*unhealthy container/);
    // The unhealthy container and its replacement are different containers.
    await waitFor('a second container for the slot', async () => ((await containerIds('sick')).length >= 2 ? true : undefined), LONG);
  }, LONG * 2);

  it('a task whose --health-cmd passes runs and the service converges', async () => {
    const out = await ok(
      'service', 'create', '--name', 'well', '--replicas', '1',
      '--health-cmd', 'true', '--health-interval', '1s', '--stop-grace-period', '1s',
      IMAGE, 'sleep', '3600',
    );
    expect(out).toContain('verify: Service converged');
    const [id] = await containerIds('well', 'running');
    expect(id).toBeDefined();
    expect((await docker.getContainer(id!).inspect()).State.Health?.Status).toBe('healthy');
    expect(await ok('service', 'ls')).toMatch(/well\s+replicated\s+1\/1/);
  }, LONG * 2);
});
