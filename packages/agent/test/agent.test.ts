import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NodeState, TaskState } from '@flotilla/api';
import { createLogger, type Logger } from '@flotilla/bus';
import { Dispatcher } from '@flotilla/dispatcher';
import { tempDir, waitFor, type TempDir } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, DockerExecutor, LABEL_NODE_ID } from '../src/index.js';
// The dispatcher's test cluster (real nats-server, mTLS, production permissions) and its
// in-memory backend: a fake only because the replicated store is not wired to the
// dispatcher yet. Docker is real and the image is the local flotilla/busybox (never pulled).
import { startTestCluster, type TestCluster } from '../../dispatcher/test/support/cluster.js';
import { assignedTask, MemoryDispatcherBackend } from '../../dispatcher/test/support/memory-backend.js';

const run = promisify(execFile);
const nodeId = `agent${randomBytes(4).toString('hex')}`;
const executor = new DockerExecutor(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
const log: Logger = createLogger({ component: 'agent-test', nodeId, level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'silent' });

let cluster: TestCluster;
let backend: MemoryDispatcherBackend;
let dispatcher: Dispatcher;
let data: TempDir;
const agents: Agent[] = [];

async function startAgent(): Promise<Agent> {
  const bus = await cluster.worker(nodeId);
  const agent = new Agent({ nodeId, nc: bus.nc, subjects: cluster.subjects, executor, dataDir: join(data.path, 'agent'), logger: log, statusDelayMs: 10 });
  agents.push(agent);
  await agent.start();
  return agent;
}

const containerOf = (taskId: string) => backend.tasks.get(taskId)?.status?.container?.containerId ?? '';
const inspect = (id: string) => executor.docker.getContainer(id).inspect();
const exists = async (id: string) => inspect(id).then(() => true, (err: { statusCode?: number }) => (err.statusCode === 404 ? false : Promise.reject(err)));
const stateIs = (taskId: string, state: TaskState) => () => backend.stateOf(taskId) === state;
const wait = { timeoutMs: 20_000 };

beforeAll(async () => {
  cluster = await startTestCluster([nodeId]);
  data = await tempDir('flotilla-agent-');
  backend = new MemoryDispatcherBackend(250);
  dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend, logger: log });
  await dispatcher.start();
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await dispatcher?.stop();
  await cluster?.stop();
  const left = await executor.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE_ID}=${nodeId}`] } });
  for (const c of left) await executor.remove(c.Id);
  await data?.cleanup();
});

describe('agent and dispatcher end to end (real nats-server, real Docker)', () => {
  let first: Agent;

  it('opens a session, runs its 3 assignments and reports them RUNNING', async () => {
    for (const id of ['t1', 't2', 't3']) backend.put(assignedTask(`${nodeId}-${id}`, nodeId, ['sleep', '300']));
    first = await startAgent();
    for (const id of ['t1', 't2', 't3']) {
      await waitFor(stateIs(`${nodeId}-${id}`, TaskState.TASK_STATE_RUNNING), { what: `${id} RUNNING`, ...wait });
      const info = await inspect(containerOf(`${nodeId}-${id}`));
      expect(info.State.Running).toBe(true);
      expect(info.Config.Labels['io.flotilla.task.id']).toBe(`${nodeId}-${id}`);
    }
    expect(backend.nodes.get(nodeId)?.state).toBe(NodeState.NODE_STATE_READY);
    expect(backend.nodes.get(nodeId)?.description?.engine?.engineVersion).toMatch(/^\d+\./);
  });

  it('stops and removes the container when the desired state moves to SHUTDOWN', async () => {
    const id = `${nodeId}-t1`;
    const container = containerOf(id);
    backend.setDesiredState(id, TaskState.TASK_STATE_SHUTDOWN);
    await waitFor(stateIs(id, TaskState.TASK_STATE_SHUTDOWN), { what: 't1 SHUTDOWN', ...wait });
    await waitFor(async () => !(await exists(container)), { what: 't1 container removed', ...wait });
  });

  it('reports FAILED with docker\'s message when the container is killed', async () => {
    const id = `${nodeId}-t2`;
    await run('docker', ['kill', containerOf(id)]);
    await waitFor(stateIs(id, TaskState.TASK_STATE_FAILED), { what: 't2 FAILED', ...wait });
    expect(backend.tasks.get(id)?.status).toMatchObject({ err: 'task: non-zero exit (137)', container: { exitCode: 137 } });
  });

  it('reports a missing image as the task\'s error and does not retry', async () => {
    const id = `${nodeId}-t5`;
    backend.put(assignedTask(id, nodeId, ['true'], 'flotilla/does-not-exist:1'));
    await waitFor(stateIs(id, TaskState.TASK_STATE_REJECTED), { what: 't5 REJECTED', ...wait });
    expect(backend.tasks.get(id)?.status?.err).toBe('image flotilla/does-not-exist:1 not found on this node (Flotilla never pulls; load it with docker load)');
    expect(first.task(id)?.pending).toBeUndefined();
  });

  it('reports a health-checked task RUNNING once healthy, and an unhealthy one FAILED "unhealthy container"', async () => {
    const healthy = assignedTask(`${nodeId}-h1`, nodeId, ['sleep', '300']);
    healthy.spec!.container!.healthcheck = { test: ['CMD-SHELL', 'true'], intervalMs: 1000, timeoutMs: 0, retries: 3, startPeriodMs: 0, startIntervalMs: 0 };
    const sick = assignedTask(`${nodeId}-h2`, nodeId, ['sleep', '300']);
    sick.spec!.container!.healthcheck = { test: ['CMD', 'false'], intervalMs: 1000, timeoutMs: 0, retries: 2, startPeriodMs: 0, startIntervalMs: 0 };
    backend.put(healthy);
    backend.put(sick);
    await waitFor(stateIs(healthy.id, TaskState.TASK_STATE_RUNNING), { what: 'h1 RUNNING', ...wait });
    expect((await inspect(containerOf(healthy.id))).State.Health?.Status).toBe('healthy');
    const reported = (taskId: string) => backend.statusBatches.flat().filter((w) => w.taskId === taskId).map((w) => w.status?.state);
    expect(reported(healthy.id)).toContain(TaskState.TASK_STATE_STARTING);
    expect(reported(healthy.id).indexOf(TaskState.TASK_STATE_STARTING)).toBeLessThan(reported(healthy.id).indexOf(TaskState.TASK_STATE_RUNNING));

    await waitFor(stateIs(sick.id, TaskState.TASK_STATE_FAILED), { what: 'h2 FAILED', ...wait });
    expect(backend.tasks.get(sick.id)?.status?.err).toBe('unhealthy container');
    expect(reported(sick.id)).not.toContain(TaskState.TASK_STATE_RUNNING);
    expect((await inspect(containerOf(sick.id))).State.Running).toBe(false);
    // what the orchestrator does next: the failed task leaves the node and its container goes
    const sickContainer = containerOf(sick.id);
    backend.delete(sick.id);
    backend.delete(healthy.id);
    await waitFor(async () => !(await exists(sickContainer)), { what: 'h2 container removed', ...wait });
  });

  it('after a restart re-adopts running containers and removes the one whose task left the node', async () => {
    const kept = `${nodeId}-t4`;
    backend.put(assignedTask(kept, nodeId, ['sleep', '300']));
    await waitFor(stateIs(kept, TaskState.TASK_STATE_RUNNING), { what: 't4 RUNNING', ...wait });
    const keptContainer = containerOf(kept);
    const goneContainer = containerOf(`${nodeId}-t3`);
    await first.stop();

    backend.delete(`${nodeId}-t3`); // unassigned while the agent was away
    const batchesBefore = backend.statusBatches.length;
    const second = await startAgent();
    await waitFor(async () => !(await exists(goneContainer)), { what: 't3 container removed', ...wait });
    await waitFor(() => second.task(kept)?.waiting, { what: 't4 re-adopted', ...wait });
    expect(second.task(kept)?.containerId).toBe(keptContainer);
    expect((await inspect(keptContainer)).State.Running).toBe(true);
    const mine = await executor.listTaskContainers(nodeId);
    expect(mine.get(kept)?.Id).toBe(keptContainer); // no second container for t4
    expect(mine.has(`${nodeId}-t3`)).toBe(false);
    expect(backend.stateOf(kept)).toBe(TaskState.TASK_STATE_RUNNING);
    // the restored task's status is said again, in case the last one never got through
    await waitFor(() => backend.statusBatches.slice(batchesBefore).some((b) => b.some((w) => w.taskId === kept)), { what: 't4 re-reported', ...wait });
  });

  it('re-opens its session when a restarted dispatcher no longer knows it, without restarting its tasks', async () => {
    const agent = agents[agents.length - 1]!;
    const kept = `${nodeId}-t4`;
    const keptContainer = containerOf(kept);
    const before = agent.sessionId;
    await dispatcher.stop();
    dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend, logger: log });
    await dispatcher.start();
    await waitFor(() => agent.sessionId !== before && dispatcher.sessionOf(nodeId) === agent.sessionId, { what: 'a new session', ...wait });
    expect(containerOf(kept)).toBe(keptContainer);
    expect((await inspect(keptContainer)).State.Running).toBe(true);
    expect(backend.stateOf(kept)).toBe(TaskState.TASK_STATE_RUNNING);
    // and it takes new work on the new session
    backend.put(assignedTask(`${nodeId}-t6`, nodeId, ['sleep', '300']));
    await waitFor(stateIs(`${nodeId}-t6`, TaskState.TASK_STATE_RUNNING), { what: 't6 RUNNING', ...wait });
  });

  it('carries on after the nats-server is killed and restarted', async () => {
    const pid = cluster.nats.supervisor.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => cluster.nats.supervisor.pid !== undefined && cluster.nats.supervisor.pid !== pid, { what: 'nats-server restarted', ...wait });
    const id = `${nodeId}-t6`;
    const container = containerOf(id);
    backend.setDesiredState(id, TaskState.TASK_STATE_SHUTDOWN);
    await waitFor(stateIs(id, TaskState.TASK_STATE_SHUTDOWN), { what: 't6 SHUTDOWN after the restart', ...wait });
    await waitFor(async () => !(await exists(container)), { what: 't6 container removed', ...wait });
  });

  it('once the agent stops heartbeating, the dispatcher marks the node DOWN', async () => {
    const agent = agents[agents.length - 1]!;
    await waitFor(() => agent.sessionId && dispatcher.sessionOf(nodeId) === agent.sessionId, { what: 'the second session', ...wait });
    await agent.stop();
    await waitFor(() => backend.nodes.get(nodeId)?.state === NodeState.NODE_STATE_DOWN, { what: 'node DOWN', ...wait });
    expect(backend.nodes.get(nodeId)?.message).toBe('heartbeat failure: no heartbeat for 750 ms');
  });
});
