// Jobs, per-node limits and update flags end to end: a real flotillad, the real CLI, real containers
// in the local Docker Engine (flotilla/busybox:latest, never pulled). A replicated job runs its
// completions at most --max-concurrent at a time and its completed tasks are never restarted; a
// service with --replicas-max-per-node leaves the tasks one node cannot take pending with docker's
// reason; service update changes create-time container settings on the replacement container.
import { TaskState } from '@flotilla/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSingleNodeSwarm, type SingleNodeSwarm } from '../helpers/single-node-swarm.js';
import { waitFor } from '../helpers/wait.js';

const IMAGE = 'flotilla/busybox:latest';
const LONG = 60_000;

let swarm: SingleNodeSwarm;
const ok = (...args: string[]): Promise<string> => swarm.ok(...args);

/** `service ps` rows as [name, desired state, current state word]. */
function psRows(out: string): Array<[string, string, string]> {
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s{2,}/))
    .map((cols) => [cols[1]!, cols[4]!, cols[5]!.split(' ')[0]!]);
}

beforeAll(async () => {
  swarm = await startSingleNodeSwarm({ addr: '127.0.0.43', name: 'jobs', timeoutMs: LONG });
}, LONG * 2);

afterAll(async () => {
  await swarm?.stop();
}, LONG);

describe('replicated job', () => {
  it('runs 3 completions 2 at a time; ps shows them Complete and no completed task is restarted', async () => {
    // Restart delay 0 and condition any (the default): a completed task restarted as a service's
    // would be would have its replacement created in the same write that ends it.
    const created = await swarm.cli('service', 'create', '--name', 'batch', '--mode', 'replicated-job', '--replicas', '3', '--max-concurrent', '2', '--restart-delay', '0s', IMAGE, 'sleep', '2');
    expect(created.code, created.stderr).toBe(0);

    const rows = psRows(await ok('service', 'ps', 'batch'));
    expect(rows.map(([name]) => name).sort()).toEqual(['batch.1', 'batch.2', 'batch.3']);
    expect(rows.every(([, desired, current]) => desired === 'Complete' && current === 'Complete')).toBe(true);

    const { tasks } = await swarm.listTasks('batch');
    expect(tasks).toHaveLength(3);
    expect(tasks.every((t) => t.status?.state === TaskState.TASK_STATE_COMPLETE && t.desiredState === TaskState.TASK_STATE_COMPLETE)).toBe(true);

    // One container per completion, each exited 0; the third started only once one of the first two had finished.
    const containers = await swarm.containersOf('batch');
    expect(containers).toHaveLength(3);
    expect(containers.every((c) => c.State.Status === 'exited' && c.State.ExitCode === 0)).toBe(true);
    const byStart = [...containers].sort((a, b) => Date.parse(a.State.StartedAt) - Date.parse(b.State.StartedAt));
    const firstEnd = Math.min(Date.parse(byStart[0]!.State.FinishedAt), Date.parse(byStart[1]!.State.FinishedAt));
    expect(Date.parse(byStart[2]!.State.StartedAt)).toBeGreaterThanOrEqual(firstEnd);
    await ok('service', 'rm', 'batch');
  }, LONG * 2);
});

describe('--replicas-max-per-node', () => {
  it('runs one task on the only node and leaves two pending with docker\'s reason', async () => {
    await ok('service', 'create', '--detach', '--name', 'capped', '--replicas', '3', '--replicas-max-per-node', '1', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    const reason = 'no suitable node (max replicas per node limit exceed)';
    const tasks = await waitFor(
      'one task of capped running and two pending with the max-replicas reason',
      async () => {
        const all = (await swarm.listTasks('capped')).tasks;
        const running = all.filter((t) => t.status?.state === TaskState.TASK_STATE_RUNNING);
        const pending = all.filter((t) => t.status?.state === TaskState.TASK_STATE_PENDING && t.status.pendingReason === reason);
        return running.length === 1 && pending.length === 2 ? all : undefined;
      },
      LONG,
    );
    expect(tasks).toHaveLength(3);
    expect((await swarm.containersOf('capped')).filter((c) => c.State.Running)).toHaveLength(1);

    // Raising the limit lets the pending tasks run on the same node.
    await ok('service', 'update', '--detach', '--replicas-max-per-node', '3', 'capped');
    await waitFor('three tasks of capped running', async () => ((await swarm.listTasks('capped')).tasks.filter((t) => t.status?.state === TaskState.TASK_STATE_RUNNING).length === 3 ? true : undefined), LONG);
    await ok('service', 'rm', 'capped');
  }, LONG * 2);
});

describe('service update of create-time settings', () => {
  it('rolls out --hostname, --user, --workdir, --container-label-*, --mount-*, --limit-memory and --stop-grace-period to a new container', async () => {
    await ok('service', 'create', '--detach', '--name', 'tuned', '--hostname', 'before', '--container-label', 'team=a', '--mount', 'type=tmpfs,target=/old', '--stop-grace-period', '1s', IMAGE, 'sleep', '3600');
    const first = await waitFor('a running container of tuned', async () => (await swarm.containersOf('tuned')).find((c) => c.State.Running), LONG);

    await ok(
      'service', 'update', '--hostname', 'after', '--user', '1000:1000', '--workdir', '/', '--container-label-add', 'tier=web', '--container-label-rm', 'team',
      '--mount-rm', '/old', '--mount-add', 'type=tmpfs,target=/new', '--limit-memory', '64M', '--stop-grace-period', '2s', 'tuned',
    );
    const next = await waitFor('a new running container of tuned', async () => (await swarm.containersOf('tuned')).find((c) => c.State.Running && c.Id !== first.Id), LONG);
    expect(next.Config.Hostname).toBe('after');
    expect(next.Config.User).toBe('1000:1000');
    expect(next.Config.WorkingDir).toBe('/');
    expect(next.Config.Labels['tier']).toBe('web');
    expect(next.Config.Labels['team']).toBeUndefined();
    expect((next.HostConfig.Mounts ?? []).map((m) => m.Target)).toEqual(['/new']);
    expect(next.HostConfig.Memory).toBe(64 * 2 ** 20);
    await ok('service', 'rm', 'tuned');
  }, LONG * 2);
});
