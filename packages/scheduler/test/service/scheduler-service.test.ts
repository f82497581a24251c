// The scheduler service on a real single-member Raft store: PENDING tasks written through Raft
// are placed (ASSIGNED + nodeId) by spread, unplaceable ones get their pending reason once, and
// node changes or freed capacity let waiting tasks fit.
import { Node, NodeAvailability, NodeState, Task, TaskState } from '@flotilla/api';
import { waitFor } from '@flotilla/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/index.js';
import { logger, startEnv, startSolo, stopEnv, type Env, type Solo } from './solo-member.js';

let env: Env;
let solo: Solo;
let scheduler: SchedulerService;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await stopEnv(env);
});
beforeEach(async () => {
  solo = await startSolo(env);
  scheduler = new SchedulerService({ store: solo.store, logger, nodeId: 'mgr-1' });
  await scheduler.start();
  await scheduler.setLeader(true);
});
afterEach(async () => {
  await scheduler?.stop();
  await solo?.member.stop();
});

function node(id: string, o: { labels?: Record<string, string>; memoryBytes?: number } = {}): Node {
  return Node.fromPartial({
    id,
    spec: { annotations: { name: id, labels: o.labels ?? {} }, availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE },
    description: { hostname: id, resources: { nanoCpus: 4e9, memoryBytes: o.memoryBytes ?? 8 * 2 ** 30 } },
    status: { state: NodeState.NODE_STATE_READY },
  });
}

function pendingTask(id: string, serviceId: string, o: { constraints?: string[]; memoryBytes?: number; createdAt?: number } = {}): Task {
  return Task.fromPartial({
    id,
    serviceId,
    slot: Number(id.split('-').pop()),
    spec: {
      container: { image: 'flotilla/busybox:latest' },
      placement: { constraints: o.constraints ?? [] },
      resources: { reservations: { memoryBytes: o.memoryBytes ?? 0 } },
    },
    status: { state: TaskState.TASK_STATE_PENDING, message: 'allocated', timestamp: Date.now() },
    desiredState: TaskState.TASK_STATE_RUNNING,
  });
}

const task = (id: string): Task | undefined => solo.store.view().tasks.get(id);
const assigned = (id: string): boolean => task(id)?.status?.state === TaskState.TASK_STATE_ASSIGNED;

describe('SchedulerService', () => {
  it('assigns a batch of pending tasks spread over the ready nodes', async () => {
    await solo.write((b) => b.create('node', node('node-a')).create('node', node('node-b')));
    await solo.write((b) => b.create('task', pendingTask('t-1', 's')).create('task', pendingTask('t-2', 's')).create('task', pendingTask('t-3', 's')));
    await waitFor(() => ['t-1', 't-2', 't-3'].every(assigned), { what: 'three tasks ASSIGNED' });
    const perNode = ['t-1', 't-2', 't-3'].map((id) => task(id)!.nodeId).sort();
    expect(new Set(perNode)).toEqual(new Set(['node-a', 'node-b']));
    expect([perNode.filter((n) => n === 'node-a').length, perNode.filter((n) => n === 'node-b').length].sort()).toEqual([1, 2]);
    expect(task('t-1')!.status!.pendingReason).toBe('');
  });

  it('writes the pending reason once, then places the task when a node changes to fit', async () => {
    await solo.write((b) => b.create('node', node('node-a')));
    await solo.write((b) => b.create('task', pendingTask('t-1', 's', { constraints: ['node.labels.gpu==true'] })));
    const reason = await waitFor(() => task('t-1')?.status?.pendingReason || undefined, { what: 'a pending reason on t-1' });
    expect(reason).toBe('no suitable node (1 node does not satisfy node.labels.gpu==true)');
    const version = task('t-1')!.meta!.version;

    // A node change that does not help: the scheduler looks again but writes nothing.
    const changed = await solo.write((b) => b.update('node', { ...solo.store.view().nodes.get('node-a')!, spec: { ...node('node-a', { labels: { zone: 'x' } }).spec! } }));
    await waitFor(() => scheduler.lastPassIndex >= changed, { what: 'a scheduling pass that saw the node change' });
    expect(task('t-1')!.meta!.version).toBe(version);
    expect(task('t-1')!.status!.state).toBe(TaskState.TASK_STATE_PENDING);

    await solo.write((b) => b.update('node', { ...solo.store.view().nodes.get('node-a')!, spec: { ...node('node-a', { labels: { gpu: 'true' } }).spec! } }));
    await waitFor(() => assigned('t-1'), { what: 't-1 ASSIGNED once node-a has the label' });
    expect(task('t-1')!.nodeId).toBe('node-a');
    expect(task('t-1')!.status!.pendingReason).toBe('');
  });

  it('places a task that did not fit once capacity is freed by a task that ended', async () => {
    const gib = 2 ** 30;
    await solo.write((b) => b.create('node', node('node-a', { memoryBytes: gib })));
    await solo.write((b) => b.create('task', pendingTask('t-1', 's', { memoryBytes: gib })));
    await waitFor(() => assigned('t-1'), { what: 't-1 ASSIGNED' });
    await solo.write((b) => b.create('task', pendingTask('t-2', 's', { memoryBytes: gib })));
    await waitFor(() => task('t-2')?.status?.pendingReason.includes('insufficient') || undefined, { what: 't-2 pending for lack of memory' });
    expect(task('t-2')!.status!.pendingReason).toMatch(/^no suitable node \(/);

    const t1 = task('t-1')!;
    await solo.write((b) =>
      b.update('task', { ...t1, desiredState: TaskState.TASK_STATE_SHUTDOWN, status: { ...t1.status!, state: TaskState.TASK_STATE_COMPLETE } }),
    );
    await waitFor(() => assigned('t-2'), { what: 't-2 ASSIGNED after t-1 ended' });
  });

  it('does no work while not leader and places what waited when it becomes leader', async () => {
    await scheduler.setLeader(false);
    expect(scheduler.isActive).toBe(false);
    await solo.write((b) => b.create('node', node('node-a')).create('task', pendingTask('t-1', 's')));
    expect(task('t-1')!.status!.state).toBe(TaskState.TASK_STATE_PENDING);
    await scheduler.setLeader(true);
    await waitFor(() => assigned('t-1'), { what: 't-1 ASSIGNED after activation' });
  });
});
