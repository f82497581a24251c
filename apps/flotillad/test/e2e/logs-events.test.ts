// service logs, events and health flags on update, end to end: two real flotillad daemons (a
// manager and a worker on their own loopback addresses, like two hosts), the real CLI, real
// nats-server and real containers in the local Docker Engine (flotilla/busybox:latest, never
// pulled; the image with its own HEALTHCHECK is built here FROM it). Nothing is mocked.
import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { pickFreePort } from '@flotilla/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStaleNatsServer } from '../../src/manager/stale-nats.js';
import { CLI_MAIN, killStarted, runCli, spawnDaemon, spawnTracked, waitUntilServing, type DaemonProcess, type Finished } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const MANAGER_ADDR = '127.0.0.80';
const WORKER_ADDR = '127.0.0.81';
const IMAGE = 'flotilla/busybox:latest';
const HC_IMAGE = 'flotilla/busybox-h4-healthcheck:test';
const LONG = 90_000;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const run = promisify(execFile);

interface Host {
  name: string;
  dataDir: string;
  socket: string;
  daemon?: DaemonProcess;
  nodeId: string;
}

let dir: string;
const hosts: Host[] = [];
const manager = () => hosts[0]!;
const worker = () => hosts[1]!;

const cli = (host: Host, ...args: string[]): Promise<Finished> => runCli(['-H', `unix://${host.socket}`, ...args]);
async function ok(...args: string[]): Promise<string> {
  const r = await cli(manager(), ...args);
  if (r.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
/** A long-running CLI (logs -f, events) whose output the test watches as it comes. */
const cliProcess = (...args: string[]) => spawnTracked(process.execPath, [CLI_MAIN, '-H', `unix://${manager().socket}`, ...args]);

async function containersOf(service: string, status?: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.flotilla.service.name=${service}`], ...(status ? { status: [status] } : {}) } });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-e2e-logs-'));
  const natsPort = await pickFreePort(MANAGER_ADDR);
  for (const name of ['e2e-logs-mgr', 'e2e-logs-wrk']) {
    const host: Host = { name, dataDir: join(dir, name), socket: join(dir, `${name}.sock`), nodeId: '' };
    hosts.push(host);
    host.daemon = spawnDaemon(['--data-dir', host.dataDir, '--control-socket', host.socket, '--node-name', name, '--nats-port', String(natsPort), '--nats-cluster-port', '0']);
    await waitUntilServing(host.daemon, host.socket);
  }
  const out = await ok('swarm', 'init', '--advertise-addr', MANAGER_ADDR, '--listen-addr', `${MANAGER_ADDR}:0`);
  manager().nodeId = /current node \((\w+)\)/.exec(out)![1]!;
  const join_ = /flotilla swarm join (--token \S+ \S+)\n/.exec(out)![1]!.split(' ');
  const joined = await cli(worker(), 'swarm', 'join', '--advertise-addr', WORKER_ADDR, ...join_);
  if (joined.code !== 0) throw new Error(`worker join failed: ${joined.stderr}`);
  worker().nodeId = /NodeID: (\w+)/.exec((await cli(worker(), 'info')).stdout)![1]!;
  await waitFor('both nodes Ready', async () => ((await ok('node', 'ls')).match(/\sReady\s/g)?.length === 2 ? true : undefined), LONG);
  const build = join(dir, 'hc-image');
  await run('mkdir', ['-p', build]);
  await writeFile(join(build, 'Dockerfile'), `FROM ${IMAGE}\nHEALTHCHECK --interval=1s --timeout=1s --retries=2 CMD false\n`);
  await run('docker', ['build', '-q', '-t', HC_IMAGE, build]);
}, LONG * 2);

afterAll(async () => {
  await killStarted();
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
  await run('docker', ['rmi', '-f', HC_IMAGE]).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
}, LONG);

const PREFIX = /^logs3\.(\d)\.(\w{12})@(e2e-logs-mgr|e2e-logs-wrk) {4}\| (.*)$/;

describe('service logs', () => {
  it('shows the lines of all three replicas on both nodes, each with its docker prefix, stderr apart', async () => {
    await ok('service', 'create', '--name', 'logs3', '--replicas', '3', IMAGE, 'sh', '-c', 'echo hello-$(hostname); echo oops >&2; sleep 1; for i in 1 2 3 4 5; do echo n$i; done; exec sleep 3600');
    // Every container has written its lines once "n5" is in all three logs. (The pause after
    // "oops" is there because the engine copies stdout and stderr apart: without it, "oops" may
    // land after n5 in the log file, and --tail below would count it.)
    const out = await waitFor('n5 from all three tasks', async () => {
      const r = await cli(manager(), 'service', 'logs', 'logs3');
      return r.code === 0 && r.stdout.match(/\| n5$/gm)?.length === 3 ? r : undefined;
    }, LONG);
    const lines = out.stdout.trim().split('\n').map((l) => PREFIX.exec(l));
    expect(lines.every((m) => m !== null)).toBe(true);
    const hello = lines.filter((m) => m![4]!.startsWith('hello-'));
    expect(new Set(hello.map((m) => m![1])).size).toBe(3);
    expect(new Set(hello.map((m) => m![2])).size).toBe(3);
    expect(new Set(hello.map((m) => m![3]))).toEqual(new Set(['e2e-logs-mgr', 'e2e-logs-wrk']));
    // Each task's own lines arrive in order.
    for (const slot of ['1', '2', '3']) {
      expect(lines.filter((m) => m![1] === slot).map((m) => m![4]!).filter((t) => !t.startsWith('hello-'))).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    }
    expect(out.stderr.match(/^logs3\.\d\.\w{12}@e2e-logs-(mgr|wrk) {4}\| oops$/gm)).toHaveLength(3);
  }, LONG * 2);

  it('--tail, --no-task-ids and --timestamps shape the output like docker', async () => {
    const tail = await ok('service', 'logs', '--tail', '2', 'logs3');
    expect(tail.trim().split('\n').map((l) => PREFIX.exec(l)![4]).sort()).toEqual(['n4', 'n4', 'n4', 'n5', 'n5', 'n5']);
    const plain = await ok('service', 'logs', '--tail', '1', '--no-task-ids', '--timestamps', 'logs3');
    expect(plain.trim().split('\n').sort()).toEqual(
      [1, 2, 3].map(() => expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z logs3\.\d@e2e-logs-(mgr|wrk) {4}\| n5$/)),
    );
    const one = (await ok('service', 'ps', 'logs3', '--no-trunc', '-q')).trim().split('\n')[0]!;
    expect((await ok('service', 'logs', '--tail', '1', one.slice(0, 14))).trim()).toMatch(new RegExp(`^logs3\\.\\d\\.${one.slice(0, 12)}@e2e-logs-(mgr|wrk) {4}\\| n5$`));
    const missing = await cli(manager(), 'service', 'logs', 'no-such-thing');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('flotilla: no such service or task: no-such-thing\n');
  });

  it('-f sees a new line as it is written, follows a task started later, and ends on Ctrl-C', async () => {
    await ok('service', 'create', '--name', 'ticker', IMAGE, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done');
    const follow = cliProcess('service', 'logs', '-f', '--tail', '0', 'ticker');
    const first = await waitFor('a tick written after -f started', () => /\| tick-(\d+)$/m.exec(follow.stdout())?.[1], LONG);
    await waitFor('a later tick', () => (follow.stdout().includes(`| tick-${Number(first) + 1}\n`) ? true : undefined), LONG);
    // A task started while following is read from its first line (--tail is for the tasks there before).
    await ok('service', 'scale', 'ticker=2');
    await waitFor("the new task's first line", () => (/^ticker\.2\.\w{12}@e2e-logs-(mgr|wrk) {4}\| tick-1$/m.test(follow.stdout()) ? true : undefined), LONG);
    follow.child.kill('SIGINT');
    const end = await follow.exited;
    expect(end.code !== null || end.signal === 'SIGINT').toBe(true);
    expect(end.stderr).toBe('');
  }, LONG * 2);

  it('-f ends by itself when the service is removed', async () => {
    const follow = cliProcess('service', 'logs', '-f', '--tail', '1', 'ticker');
    await waitFor('a tick', () => (/\| tick-\d+$/m.test(follow.stdout()) ? true : undefined), LONG);
    await ok('service', 'rm', 'ticker');
    const end = await follow.exited;
    expect(end).toMatchObject({ code: 0, stderr: '' });
  }, LONG * 2);
});

describe('events', () => {
  it('streams a service create, update and remove; --since replays them and --until ends', async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    // --since makes the stream start with the kept changes, so nothing is lost while the CLI connects.
    const events = cliProcess('events', '--filter', 'type=service', '--since', since);
    const id = (await ok('service', 'create', '--detach', '--name', 'evt', IMAGE, 'sleep', '3600')).trim();
    await ok('service', 'update', '--detach', '--env-add', 'A=1', 'evt');
    await ok('service', 'rm', 'evt');
    const t = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z';
    for (const action of ['create', 'update', 'remove']) {
      await waitFor(`service ${action} of evt`, () => (new RegExp(`^${t} service ${action} ${id} \\(.*name=evt[,)]`, 'm').test(events.stdout()) ? true : undefined), LONG);
    }
    expect(events.stdout()).toMatch(new RegExp(`^${t} service update ${id} \\(name=evt, updatestate.new=updating\\)$`, 'm'));
    expect(events.stdout()).not.toMatch(/ task /);
    events.child.kill('SIGINT');
    await events.exited;

    const replay = await cli(manager(), 'events', '--since', since, '--until', '0s', '--filter', 'event=remove', '--format', 'json');
    expect(replay.code).toBe(0);
    const removed = replay.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string } });
    expect(removed).toContainEqual(expect.objectContaining({ Type: 'service', Action: 'remove', Actor: expect.objectContaining({ ID: id }) }));
    expect(removed.every((e) => e.Action === 'remove')).toBe(true);
  }, LONG * 2);
});

describe('health flags on service update, and the image HEALTHCHECK', () => {
  const unhealthy = (service: string) => async () => ((await ok('service', 'ps', service, '--no-trunc')).includes('unhealthy container') ? true : undefined);

  it('--health-cmd on update replaces the tasks with checked ones; --no-healthcheck takes the check away again', async () => {
    await ok('service', 'create', '--name', 'hup', '--stop-grace-period', '0s', IMAGE, 'sleep', '3600');
    await ok('service', 'update', '--detach', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '2', 'hup');
    await waitFor('a task of hup failed as unhealthy', unhealthy('hup'), LONG);
    const checked = await containersOf('hup');
    const tests = await Promise.all(checked.map(async (c) => (await docker.getContainer(c.Id).inspect()).Config.Healthcheck?.Test));
    expect(tests).toContainEqual(['CMD-SHELL', 'false']);
    await ok('service', 'update', '--no-healthcheck', 'hup');
    const [runningOne] = await containersOf('hup', 'running');
    expect((await docker.getContainer(runningOne!.Id).inspect()).Config.Healthcheck?.Test).toEqual(['NONE']);
    expect(await ok('service', 'ls')).toMatch(/hup\s+replicated\s+1\/1/);
  }, LONG * 3);

  it("an image's own HEALTHCHECK is honoured: its failing check fails the task as unhealthy", async () => {
    await ok('service', 'create', '--detach', '--name', 'imghc', '--stop-grace-period', '0s', HC_IMAGE, 'sleep', '3600');
    await waitFor('a task of imghc failed as unhealthy', unhealthy('imghc'), LONG);
    await ok('service', 'update', '--no-healthcheck', 'imghc');
    expect(await ok('service', 'ls')).toMatch(/imghc\s+replicated\s+1\/1/);
  }, LONG * 3);
});

describe('service logs with a node gone', () => {
  it("prints one line for the dead node's task instead of hanging, and the others' lines", async () => {
    worker().daemon!.child.kill('SIGKILL');
    await worker().daemon!.exited;
    worker().daemon = undefined;
    const r = await cli(manager(), 'service', 'logs', '--tail', '1', 'logs3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^logs3\.\d\.\w{12}@e2e-logs-mgr {4}\| n5$/m);
    expect(r.stderr).toMatch(/^logs3\.\d\.\w{12}@e2e-logs-wrk {4}\| flotilla: node e2e-logs-wrk (is down|did not answer|is not connected|stopped)/m);
  }, LONG * 2);
});
