// Jobs and per-node limits end to end: a real flotillad, the real CLI, real containers in the local
// Docker Engine (flotilla/busybox:latest, never pulled). A replicated job runs its completions at
// most --max-concurrent at a time and its completed tasks are never restarted; a service with
// --replicas-max-per-node leaves the tasks one node cannot take pending with docker's reason.
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
