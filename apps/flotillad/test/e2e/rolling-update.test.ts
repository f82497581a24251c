// Rolling updates end to end: a real flotillad, the real CLI, real containers in the local Docker
// Engine (flotilla/busybox:latest, never pulled). `service update` replaces 4 replicas 2 at a
// time; an image that does not exist pauses the update after the first batch; with failure
// action rollback the old spec comes back; `service rollback` undoes a paused update.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { runCli, spawnDaemon, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.0.41';
const IMAGE = 'flotilla/busybox:latest';
const MISSING = 'flotilla/does-not-exist:latest';
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

/** `service inspect` in the Engine API's shape (swarm.Service). */
interface Inspected {
  Spec: { TaskTemplate: { ContainerSpec: { Image: string; Args?: string[]; Env?: string[] } } };
  PreviousSpec?: { TaskTemplate: { ContainerSpec: { Image: string; Args?: string[]; Env?: string[] } } };
  UpdateStatus?: { State: string; Message?: string };
}

async function inspect(service: string): Promise<Inspected> {
  return (JSON.parse(await ok('service', 'inspect', service)) as Inspected[])[0]!;
}

async function runningIds(service: string): Promise<string[]> {
  const list = await docker.listContainers({ filters: { label: [`io.flotilla.node.id=${nodeId}`, `io.flotilla.service.name=${service}`], status: ['running'] } });
  return list.map((c) => c.Id).sort();
}

/** The running containers of a service: image, command and environment as Docker runs them. */
async function running(service: string): Promise<Array<{ image: string; cmd: string[]; env: string[] }>> {
  const list = await docker.listContainers({
    filters: { label: [`io.flotilla.node.id=${nodeId}`, `io.flotilla.service.name=${service}`], status: ['running'] },
  });
  return Promise.all(
    list.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      return { image: info.Config.Image, cmd: info.Config.Cmd ?? [], env: info.Config.Env ?? [] };
    }),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-e2e-update-'));
  dataDir = join(dir, 'data');
  socket = join(dir, 'ctl.sock');
  daemon = spawnDaemon(['--data-dir', dataDir, '--control-socket', socket, '--node-name', 'e2e-update-1', '--nats-port', '0', '--nats-cluster-port', '0']);
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

describe('service update', () => {
  it('replaces 4 replicas 2 at a time with the new args and env; previousSpec holds the old spec', async () => {
    // busybox sleep as PID 1 ignores SIGTERM: a short grace keeps each stop-first batch quick.
    await ok('service', 'create', '--name', 'web', '--replicas', '4', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    expect((await running('web')).map((c) => c.cmd.join(' '))).toEqual(Array(4).fill('sleep 3600'));

    const out = await ok('service', 'update', '--args', 'sleep 3601', '--env-add', 'COLOR=blue', '--update-parallelism', '2', '--update-monitor', '1s', 'web');
    expect(out).toMatch(/^web\n/);
    expect(out).toContain('verify: Service converged');

    const after = await running('web');
    expect(after.map((c) => c.cmd.join(' '))).toEqual(Array(4).fill('sleep 3601'));
    expect(after.every((c) => c.env.includes('COLOR=blue'))).toBe(true);
    const svc = await inspect('web');
    expect(svc.UpdateStatus?.State).toBe('completed');
    expect(svc.PreviousSpec?.TaskTemplate.ContainerSpec.Args).toEqual(['sleep', '3600']);
    expect(svc.PreviousSpec?.TaskTemplate.ContainerSpec.Env ?? []).toEqual([]);
    expect(svc.Spec.TaskTemplate.ContainerSpec.Args).toEqual(['sleep', '3601']);
  }, LONG * 2);

  it('pauses after the first batch when the image does not exist, with the error in service inspect; service rollback undoes it', async () => {
    const run = await cli('service', 'update', '--image', MISSING, '--update-parallelism', '2', 'web');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^flotilla: update paused due to failure of task web\.\d\.\w+ \(\w+\): /);

    const svc = await inspect('web');
    expect(svc.UpdateStatus?.State).toBe('paused');
    expect(svc.UpdateStatus?.Message).toContain(MISSING);
    const pretty = await ok('service', 'inspect', '--pretty', 'web');
    expect(pretty).toMatch(/UpdateStatus:\n State:\s+paused\n/);
    // Only the first batch was touched: the other two replicas still run.
    expect((await running('web')).map((c) => c.cmd.join(' '))).toEqual(['sleep 3601', 'sleep 3601']);

    const back = await ok('service', 'rollback', 'web');
    expect(back).toContain('rollback: rollback complete');
    const restored = await running('web');
    expect(restored.map((c) => `${c.image} ${c.cmd.join(' ')}`)).toEqual(Array(4).fill(`${IMAGE} sleep 3601`));
    expect((await inspect('web')).UpdateStatus?.State).toBe('rollback_completed');
  }, LONG * 2);

  it('with --update-failure-action rollback brings the old spec back', async () => {
    const before = await inspect('web');
    const run = await cli('service', 'update', '--image', MISSING, '--update-parallelism', '2', '--update-failure-action', 'rollback', 'web');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^flotilla: update rolled back: rollback completed: update rolled back due to failure of task web\.\d\.\w+ \(\w+\): image flotilla\/does-not-exist:latest not found/);
    const svc = await waitFor('the rollback to complete', async () => {
      const s = await inspect('web');
      return s.UpdateStatus?.State === 'rollback_completed' ? s : undefined;
    }, LONG);
    expect(svc.Spec).toEqual(before.Spec);
    expect(svc.PreviousSpec?.TaskTemplate.ContainerSpec.Image).toBe(MISSING);
    await waitFor('4 tasks of the old spec running', async () => ((await running('web')).length === 4 ? true : undefined), LONG);
    expect((await running('web')).map((c) => `${c.image} ${c.cmd.join(' ')}`)).toEqual(Array(4).fill(`${IMAGE} sleep 3601`));
  }, LONG * 2);

  it('--force with start-first replaces every container although nothing else changed', async () => {
    const before = await runningIds('web');
    expect(before).toHaveLength(4);
    const out = await ok('service', 'update', '--force', '--update-order', 'start-first', '--update-parallelism', '0', '--update-monitor', '1s', 'web');
    expect(out).toContain('verify: Service converged');
    const after = await waitFor('4 new containers and none of the old', async () => {
      const ids = await runningIds('web');
      return ids.length === 4 && ids.every((id) => !before.includes(id)) ? ids : undefined;
    }, LONG);
    expect(after).toHaveLength(4);
    expect((await running('web')).map((c) => `${c.image} ${c.cmd.join(' ')}`)).toEqual(Array(4).fill(`${IMAGE} sleep 3601`));
  }, LONG * 2);
});
