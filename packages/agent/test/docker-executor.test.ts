import { randomBytes } from 'node:crypto';
import { Task, TaskState } from '@flotilla/api';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerExecutor, LABEL_SERVICE_NAME, LABEL_TASK_ID, TaskError, containerCreateOptions, containerName } from '../src/index.js';

// A real Docker Engine (started by `npm test`) and the local test image built FROM scratch.
const IMAGE = 'flotilla/busybox:latest';
const nodeId = `testnode${randomBytes(4).toString('hex')}`;
const executor = new DockerExecutor(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');

function task(id: string, args: string[], extra: { graceMs?: number; image?: string } = {}): Task {
  return Task.fromPartial({
    id,
    serviceId: 'svc1',
    serviceName: 'web',
    slot: 2,
    nodeId,
    desiredState: TaskState.TASK_STATE_RUNNING,
    spec: {
      container: {
        image: extra.image ?? IMAGE,
        args,
        env: ['GREETING=hi'],
        labels: { team: 'a' },
        hasStopGracePeriod: extra.graceMs !== undefined,
        stopGracePeriodMs: extra.graceMs ?? 0,
      },
    },
  });
}

afterAll(async () => {
  const left = await executor.listTaskContainers(nodeId);
  for (const c of left.values()) await executor.remove(c.Id);
});

describe('container options', () => {
  it('names containers <service>.<slot>.<taskId> and labels them for re-adoption', () => {
    const t = task('t1', ['sleep', '1']);
    const opts = containerCreateOptions(t);
    expect(containerName(t)).toBe('web.2.t1');
    expect(opts.Labels).toMatchObject({ team: 'a', [LABEL_TASK_ID]: 't1', [LABEL_SERVICE_NAME]: 'web', 'io.flotilla.node.id': nodeId });
    expect(opts.StopTimeout).toBe(10); // Docker's default grace when none is given
    expect(containerCreateOptions(task('t2', [], { graceMs: 0 })).StopTimeout).toBe(0);
  });
});

describe('DockerExecutor against the real engine', () => {
  it('creates, starts, finds, stops and removes a task container', async () => {
    const t = task(`run${randomBytes(3).toString('hex')}`, ['sleep', '300'], { graceMs: 1000 });
    const id = await executor.create(t);
    await executor.start(id);
    const info = await executor.docker.getContainer(id).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Name).toBe(`/${containerName(t)}`);
    expect(info.Config.Env).toContain('GREETING=hi');
    expect((await executor.listTaskContainers(nodeId)).get(t.id)?.Id).toBe(id);

    await executor.stop(t, id);
    expect((await executor.docker.getContainer(id).inspect()).State.Running).toBe(false);
    await executor.stop(t, id); // stopping twice is harmless
    await executor.remove(id);
    expect((await executor.listTaskContainers(nodeId)).has(t.id)).toBe(false);
  });

  it('removals of one container at once all succeed: a later one waits for the removal in progress', async () => {
    const t = task(`rm${randomBytes(3).toString('hex')}`, ['sleep', '300'], { graceMs: 0 });
    const id = await executor.create(t);
    await executor.start(id);
    // The engine answers 409 "removal ... already in progress" to the calls that overlap the first.
    await Promise.all([executor.remove(id), executor.remove(id), executor.remove(id)]);
    expect((await executor.listTaskContainers(nodeId)).has(t.id)).toBe(false);
  });

  it('reports the exit code of a finished container', async () => {
    const t = task(`exit${randomBytes(3).toString('hex')}`, ['sh', '-c', 'exit 3']);
    const id = await executor.create(t);
    await executor.start(id);
    expect((await executor.wait(id)).exitCode).toBe(3);
    await executor.remove(id);
  });

  it('fails a task whose image is not on the node, without pulling', async () => {
    const t = task('missing1', ['true'], { image: 'flotilla/does-not-exist:1' });
    const err = await executor.create(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as Error).message).toBe('image flotilla/does-not-exist:1 not found on this node (Flotilla never pulls; load it with docker load)');
  });
});
