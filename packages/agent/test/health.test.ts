import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Task, TaskState, type HealthConfig } from '@flotilla/api';
import { silentLogger } from '@flotilla/bus';
import { tempDir, waitFor, type TempDir } from '@flotilla/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerExecutor, dockerFromHost, HealthEvents, TaskRunner, UNHEALTHY_ERR, type TaskHealth } from '../src/index.js';

// The TaskRunner against the real engine, wired to the real health events stream exactly as
// the Agent wires them (no dispatcher needed: what is asserted is what the runner reports).
const IMAGE = 'flotilla/busybox:latest';
const suffix = randomBytes(4).toString('hex');
const nodeId = `healthnode${suffix}`;
// Its HEALTHCHECK passes once the container has created /tmp/healthy.
const CHECKED_IMAGE = `flotilla-test/health-${suffix}:latest`;
const run = promisify(execFile);
const wait = { timeoutMs: 30_000 };
const log = silentLogger();

type Seen =
  | { kind: 'report'; taskId: string; state: TaskState; err: string }
  | { kind: 'engine'; containerId: string; health: TaskHealth; via: 'event' | 'inspect' };

/** The real executor; it only writes down what the engine answered about health. */
class ObservedExecutor extends DockerExecutor {
  constructor(private readonly seen: Seen[]) {
    super(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
  }

  override async inspectHealth(containerId: string): Promise<TaskHealth> {
    const health = await super.inspectHealth(containerId);
    this.seen.push({ kind: 'engine', containerId, health, via: 'inspect' });
    return health;
  }
}

const DOCKER_SOCKET = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');

/** A unix socket in front of the engine's, whose connections the test can cut and refuse. */
class EngineLink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly path: string) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const engine = createConnection(DOCKER_SOCKET);
      for (const s of [client, engine]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('close', () => engine.destroy());
      engine.on('close', () => client.destroy());
      client.pipe(engine).pipe(client);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.path, resolve));
    this.server = server;
  }

  /** Breaks every open connection and accepts no new one until `open()`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const seen: Seen[] = [];
const executor = new ObservedExecutor(seen);
let runner: TaskRunner;
let events: HealthEvents | undefined;
let resubscribed = 0;

function startRunner(opts: { followEvents: boolean; dockerHost?: string }): Promise<void> {
  runner = new TaskRunner(executor, { report: (taskId, s) => seen.push({ kind: 'report', taskId, state: s.state, err: s.err }), changed: () => {} }, log);
  if (!opts.followEvents) return Promise.resolve();
  const r = runner;
  events = new HealthEvents({
    docker: opts.dockerHost ? dockerFromHost(opts.dockerHost) : executor.docker,
    nodeId,
    log,
    retryMs: 50,
    onHealth: (containerId, health) => {
      seen.push({ kind: 'engine', containerId, health, via: 'event' });
      r.healthReported(containerId, health);
    },
    onResubscribed: () => {
      resubscribed++;
      r.recheckHealth();
    },
  });
  return events.start();
}

function task(name: string, args: string[], healthcheck?: Partial<HealthConfig>, image = IMAGE): Task {
  return Task.fromPartial({
    id: `${name}${randomBytes(3).toString('hex')}`,
    serviceId: 'svc-health',
    serviceName: 'health',
    slot: 1,
    nodeId,
    desiredState: TaskState.TASK_STATE_RUNNING,
    spec: {
      container: {
        image,
        args,
        hasStopGracePeriod: true,
        stopGracePeriodMs: 1000,
        ...(healthcheck ? { healthcheck: { test: [], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0, ...healthcheck } } : {}),
      },
    },
  });
}

const reportsOf = (taskId: string): Extract<Seen, { kind: 'report' }>[] =>
  seen.filter((s): s is Extract<Seen, { kind: 'report' }> => s.kind === 'report' && s.taskId === taskId);
const statesOf = (taskId: string): string[] => reportsOf(taskId).map((r) => r.state.replace('TASK_STATE_', ''));
const stateIs = (taskId: string, state: TaskState) => () => runner.record(taskId)?.state === state;
const indexOf = (pred: (s: Seen) => boolean): number => seen.findIndex(pred);
const inspect = (containerId: string) => executor.docker.getContainer(containerId).inspect();

beforeAll(async () => {
  // A tiny image with its own HEALTHCHECK, built from the local test image (nothing pulled).
  const dockerfile = `FROM ${IMAGE}\nHEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD ["test", "-e", "/tmp/healthy"]\n`;
  const build = run('docker', ['build', '--quiet', '-t', CHECKED_IMAGE, '-'], { env: process.env });
  build.child.stdin?.end(dockerfile);
  await build;
}, 60_000);

afterEach(async () => {
  await events?.stop();
  events = undefined;
  runner?.close();
  await runner?.idle();
  seen.length = 0;
  resubscribed = 0;
});

afterAll(async () => {
  for (const c of (await executor.listTaskContainers(nodeId)).values()) await executor.remove(c.Id);
  await executor.docker.getImage(CHECKED_IMAGE).remove({ force: true }).catch(() => undefined);
});

describe('health checks, with the real engine and its events', () => {
  it('reports STARTING, then RUNNING only after the engine says healthy (CMD-SHELL "true", 1 s)', async () => {
    await startRunner({ followEvents: true });
    const t = task('ok', ['sleep', '300'], { test: ['CMD-SHELL', 'true'], intervalMs: 1000, retries: 3 });
    runner.applyFullSet([t]);
    await waitFor(stateIs(t.id, TaskState.TASK_STATE_RUNNING), { what: 'the task RUNNING', ...wait });

    const containerId = runner.record(t.id)!.containerId;
    expect(statesOf(t.id)).toEqual(['ACCEPTED', 'PREPARING', 'STARTING', 'RUNNING']);
    const firstHealthy = indexOf((s) => s.kind === 'engine' && s.containerId === containerId && s.health === 'healthy');
    const running = indexOf((s) => s.kind === 'report' && s.taskId === t.id && s.state === TaskState.TASK_STATE_RUNNING);
    const starting = indexOf((s) => s.kind === 'report' && s.taskId === t.id && s.state === TaskState.TASK_STATE_STARTING);
    expect(firstHealthy).toBeGreaterThan(starting);
    expect(running).toBeGreaterThan(firstHealthy);
    const info = await inspect(containerId);
    expect(info.Config.Healthcheck?.Test).toEqual(['CMD-SHELL', 'true']);
    expect(info.State.Health?.Status).toBe('healthy');
  });

  it('stops a container whose check fails (false, 1 s, 2 retries), reports FAILED "unhealthy container", removes it once the task leaves', async () => {
    await startRunner({ followEvents: true });
    const t = task('sick', ['sleep', '300'], { test: ['CMD', 'false'], intervalMs: 1000, retries: 2 });
    runner.applyFullSet([t]);
    await waitFor(stateIs(t.id, TaskState.TASK_STATE_FAILED), { what: 'the task FAILED', ...wait });

    const rec = runner.record(t.id)!;
    expect(rec.err).toBe(UNHEALTHY_ERR);
    expect(reportsOf(t.id).at(-1)).toMatchObject({ state: TaskState.TASK_STATE_FAILED, err: 'unhealthy container' });
    expect(statesOf(t.id)).not.toContain('RUNNING');
    expect(seen.some((s) => s.kind === 'engine' && s.containerId === rec.containerId && s.health === 'unhealthy')).toBe(true);
    // Stopped like Docker does, and kept for `docker logs` while the task is on the node.
    expect((await inspect(rec.containerId)).State.Running).toBe(false);

    // The manager's restart policy replaces the task; the failed one leaves the node.
    runner.applyDelta([], [t.id]);
    await waitFor(async () => (await executor.listTaskContainers(nodeId)).get(t.id) === undefined, { what: 'the unhealthy container removed', ...wait });
    expect(runner.record(t.id)).toBeUndefined();
  });

  it('never waits for health with ["NONE"], even on an image whose own HEALTHCHECK would fail', async () => {
    await startRunner({ followEvents: true });
    // Without /tmp/healthy the image's check would fail: honoured, the task could never run.
    const t = task('none', ['sleep', '300'], { test: ['NONE'] }, CHECKED_IMAGE);
    runner.applyFullSet([t]);
    await waitFor(stateIs(t.id, TaskState.TASK_STATE_RUNNING), { what: 'the task RUNNING', ...wait });

    const rec = runner.record(t.id)!;
    expect(rec.health).toBe('none');
    expect(statesOf(t.id)).toEqual(['ACCEPTED', 'PREPARING', 'STARTING', 'RUNNING']);
    const info = await inspect(rec.containerId);
    expect(info.Config.Healthcheck?.Test).toEqual(['NONE']);
    expect(info.State.Health).toBeUndefined();
  });

  it("honours the image's HEALTHCHECK when the spec has none", async () => {
    await startRunner({ followEvents: true });
    const t = task('image', ['sh', '-c', 'touch /tmp/healthy && exec sleep 300'], undefined, CHECKED_IMAGE);
    runner.applyFullSet([t]);
    await waitFor(stateIs(t.id, TaskState.TASK_STATE_RUNNING), { what: 'the task RUNNING', ...wait });

    const containerId = runner.record(t.id)!.containerId;
    const firstHealthy = indexOf((s) => s.kind === 'engine' && s.containerId === containerId && s.health === 'healthy');
    const running = indexOf((s) => s.kind === 'report' && s.taskId === t.id && s.state === TaskState.TASK_STATE_RUNNING);
    expect(firstHealthy).toBeGreaterThanOrEqual(0);
    expect(running).toBeGreaterThan(firstHealthy);
    expect((await inspect(containerId)).Config.Healthcheck?.Test).toEqual(['CMD', 'test', '-e', '/tmp/healthy']);
  });

  it("keeps the image's test when the spec gives only timings (empty test)", async () => {
    const t = task('merge', ['sleep', '300'], { test: [], retries: 7 }, CHECKED_IMAGE);
    const id = await executor.create(t);
    try {
      const hc = (await inspect(id)).Config.Healthcheck;
      expect(hc?.Test).toEqual(['CMD', 'test', '-e', '/tmp/healthy']);
      expect(hc?.Retries).toBe(7);
      expect(hc?.Interval).toBe(1_000_000_000); // the image's
    } finally {
      await executor.remove(id);
    }
  });

  it('asks the engine (inspect) for health it may have missed, as after the events stream is re-opened', async () => {
    // No events stream at all: only the fallback can move the task on.
    await startRunner({ followEvents: false });
    const t = task('fallback', ['sleep', '300'], { test: ['CMD-SHELL', 'true'], intervalMs: 1000, retries: 3 });
    runner.applyFullSet([t]);
    await waitFor(() => runner.record(t.id)?.running, { what: 'the container started', ...wait });
    const containerId = runner.record(t.id)!.containerId;
    await waitFor(async () => (await inspect(containerId)).State.Health?.Status === 'healthy', { what: 'the engine to call it healthy', ...wait });
    expect(runner.record(t.id)!.state).toBe(TaskState.TASK_STATE_STARTING);

    runner.recheckHealth();
    await waitFor(stateIs(t.id, TaskState.TASK_STATE_RUNNING), { what: 'the task RUNNING', ...wait });
    expect(seen.some((s) => s.kind === 'engine' && s.via === 'inspect' && s.health === 'healthy')).toBe(true);
  });

  it('after an agent restart, finds a container still starting and waits again for it to be healthy', async () => {
    await startRunner({ followEvents: true });
    // Healthy only once the test says so: the restart surely happens while it is starting.
    const t = task('restart', ['sleep', '300'], { test: ['CMD', 'test', '-e', '/tmp/ready'], intervalMs: 1000, retries: 100 });
    runner.applyFullSet([t]);
    await waitFor(() => runner.record(t.id)?.running, { what: 'the container started', ...wait });
    const containerId = runner.record(t.id)!.containerId;
    const persisted = runner.snapshot();
    await events?.stop();
    runner.close();
    await runner.idle();

    await startRunner({ followEvents: true });
    runner.restore(persisted, await executor.findTaskContainers(nodeId));
    expect(runner.record(t.id)).toMatchObject({ state: TaskState.TASK_STATE_STARTING, containerId, health: 'starting', waiting: true });

    await run('docker', ['exec', containerId, 'touch', '/tmp/ready']);
    await waitFor(stateIs(t.id, TaskState.TASK_STATE_RUNNING), { what: 'the re-adopted task RUNNING', ...wait });
    expect(seen.some((s) => s.kind === 'engine' && s.containerId === containerId && s.health === 'healthy')).toBe(true);
    expect((await executor.listTaskContainers(nodeId)).get(t.id)?.Id).toBe(containerId); // no second container
  });

  describe('when the events stream breaks', () => {
    let dir: TempDir;
    let link: EngineLink;

    beforeAll(async () => {
      dir = await tempDir('flotilla-health-');
      link = new EngineLink(join(dir.path, 'engine.sock'));
      await link.open();
    });

    afterAll(async () => {
      await link?.cut();
      await dir?.cleanup();
    });

    it('re-opens it and asks the engine for the health it missed meanwhile', async () => {
      await startRunner({ followEvents: true, dockerHost: `unix://${link.path}` });
      const t = task('gap', ['sleep', '300'], { test: ['CMD-SHELL', 'true'], intervalMs: 1000, retries: 3 });
      runner.applyFullSet([t]);
      await waitFor(() => runner.record(t.id)?.running, { what: 'the container started', ...wait });
      const containerId = runner.record(t.id)!.containerId;

      // The stream is down while the engine turns the container healthy: that event is lost.
      await link.cut();
      await waitFor(async () => (await inspect(containerId)).State.Health?.Status === 'healthy', { what: 'the engine to call it healthy', ...wait });
      expect(runner.record(t.id)!.state).toBe(TaskState.TASK_STATE_STARTING);

      await link.open();
      await waitFor(stateIs(t.id, TaskState.TASK_STATE_RUNNING), { what: 'the task RUNNING after the stream is back', ...wait });
      expect(resubscribed).toBeGreaterThan(0);
      expect(seen.some((s) => s.kind === 'engine' && s.containerId === containerId && s.via === 'event' && s.health === 'healthy')).toBe(false);
      expect(seen.some((s) => s.kind === 'engine' && s.containerId === containerId && s.via === 'inspect' && s.health === 'healthy')).toBe(true);
    });
  });
});
