// The allocator, scheduler and orchestrator together on a real single-member Raft cluster (real
// nats-server with mTLS, real WAL): what a user sees after `service create/scale/rm`, a failing
// task, a node going down or being drained, and placement constraints nothing satisfies.
import { NodeAvailability, NodeState, ServiceMode, StoreOp, TaskState, type Task } from '@flotilla/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cluster, assignedPerNode, startEnv, stopEnv, waitFor, type Env } from './harness.js';

let env: Env;
let c: Cluster;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await stopEnv(env);
});
beforeEach(async () => {
  c = await Cluster.start(env);
});
afterEach(async () => {
  await c?.stop();
});

const live = (t: Task): boolean => t.desiredState === TaskState.TASK_STATE_RUNNING;

describe('replicated service', () => {
  it('places 3 replicas 2/1 on two nodes, scales to 5, then to 1 shutting down the highest slots', async () => {
    await c.addNode('node-a');
    await c.addNode('node-b');
    await c.createService({ id: 'web', replicas: 3 });

    const spread = await waitFor(
      () => {
        const per = assignedPerNode(c.tasksOf('web'));
        return Object.values(per).reduce((a, b) => a + b, 0) === 3 ? per : undefined;
      },
      { what: '3 tasks of web ASSIGNED' },
    );
    expect(Object.keys(spread).sort()).toEqual(['node-a', 'node-b']);
    expect(Object.values(spread).sort()).toEqual([1, 2]);
    expect(c.tasksOf('web').map((t) => t.slot).sort()).toEqual([1, 2, 3]);

    await c.scale('web', 5);
    const five = await waitFor(
      () => {
        const per = assignedPerNode(c.tasksOf('web'));
        return Object.values(per).reduce((a, b) => a + b, 0) === 5 ? per : undefined;
      },
      { what: '5 tasks of web ASSIGNED' },
    );
    expect(Object.values(five).sort()).toEqual([2, 3]);
    expect(c.liveTasksOf('web').map((t) => t.slot).sort()).toEqual([1, 2, 3, 4, 5]);

    await c.scale('web', 1);
    await waitFor(() => c.liveTasksOf('web').length === 1, { what: 'web scaled down to 1 live task' });
    const all = c.tasksOf('web');
    expect(c.liveTasksOf('web').map((t) => t.slot)).toEqual([1]);
    expect(all.filter((t) => t.desiredState === TaskState.TASK_STATE_SHUTDOWN).map((t) => t.slot).sort()).toEqual([2, 3, 4, 5]);
    expect(all).toHaveLength(5); // scaling down lets tasks go; it creates none
  });

  it('replaces a FAILED task after the restart delay and keeps the failed one in the history', async () => {
    await c.addNode('node-a');
    await c.createService({ id: 'api', replicas: 2, restart: { delayMs: 300 } });
    await waitFor(() => Object.values(assignedPerNode(c.tasksOf('api')))[0] === 2, { what: '2 tasks of api ASSIGNED' });

    const failing = c.tasksOf('api').find((t) => t.slot === 1)!;
    const slotEvents: Array<{ op: StoreOp; task: Task }> = [];
    const sub = c.member.store.watch({
      kinds: ['task'],
      predicate: (ev) => ev.object?.kind?.$case === 'task' && ev.object.kind.value.slot === 1 && ev.object.kind.value.id !== failing.id,
    });
    const collecting = (async () => {
      for await (const ev of sub) if (ev.object?.kind?.$case === 'task') slotEvents.push({ op: ev.op, task: ev.object.kind.value });
    })();

    await c.reportTask(failing.id, TaskState.TASK_STATE_FAILED, { exitCode: 3 });
    const replacement = await waitFor(
      () => c.view().tasks.bySlot('api', 1).find((t) => t.id !== failing.id && t.status?.state === TaskState.TASK_STATE_ASSIGNED && live(t)),
      { what: 'a replacement in slot 1 ASSIGNED', timeoutMs: 10_000 },
    );
    sub.close();
    await collecting;

    // Created held back (desired READY) until the delay passed, then started, allocated, placed.
    expect(slotEvents[0]?.op).toBe(StoreOp.STORE_OP_CREATE);
    expect(slotEvents[0]?.task.desiredState).toBe(TaskState.TASK_STATE_READY);
    const started = slotEvents.findIndex((e) => e.task.desiredState === TaskState.TASK_STATE_RUNNING);
    expect(started).toBeGreaterThan(0);
    expect(slotEvents.slice(0, started).every((e) => e.task.status?.state === TaskState.TASK_STATE_NEW)).toBe(true);

    const history = c.view().tasks.bySlot('api', 1);
    expect(history.map((t) => t.id).sort()).toEqual([failing.id, replacement.id].sort());
    const old = c.view().tasks.get(failing.id)!;
    expect(old.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(old.desiredState).toBe(TaskState.TASK_STATE_SHUTDOWN);
    expect(c.orchestrator.waitingRestarts).toBe(0);
    // The other slot was left alone.
    expect(c.view().tasks.bySlot('api', 2).filter(live)).toHaveLength(1);
  });

  it('keeps 5 ended tasks per slot by default, deleting the oldest', async () => {
    await c.addNode('node-a');
    await c.createService({ id: 'flaky', replicas: 1 });
    const failed: string[] = [];
    for (let round = 0; round < 7; round++) {
      const current = await waitFor(
        () => c.view().tasks.bySlot('flaky', 1).find((t) => live(t) && t.status?.state === TaskState.TASK_STATE_ASSIGNED),
        { what: `a live task of flaky ASSIGNED (round ${round})` },
      );
      failed.push(current.id);
      await c.reportTask(current.id, TaskState.TASK_STATE_FAILED, { exitCode: 1 });
    }
    await waitFor(
      () => {
        const slot = c.view().tasks.bySlot('flaky', 1);
        return slot.length === 6 && slot.some((t) => live(t) && t.status?.state === TaskState.TASK_STATE_ASSIGNED);
      },
      { what: 'slot 1 of flaky holding 5 ended tasks and a live one' },
    );
    const kept = c.view().tasks.bySlot('flaky', 1).filter((t) => !live(t)).map((t) => t.id);
    expect(kept.sort()).toEqual(failed.slice(2).sort());
  });

  it('gives up after maxAttempts restarts and keeps maxAttempts + 1 ended tasks in the slot', async () => {
    await c.addNode('node-a');
    await c.createService({ id: 'limited', replicas: 1, restart: { maxAttempts: 6 } });
    const failed: string[] = [];
    for (let round = 0; round < 7; round++) {
      const current = await waitFor(
        () => c.view().tasks.bySlot('limited', 1).find((t) => live(t) && t.status?.state === TaskState.TASK_STATE_ASSIGNED),
        { what: `a live task of limited ASSIGNED (round ${round})` },
      );
      failed.push(current.id);
      await c.reportTask(current.id, TaskState.TASK_STATE_FAILED, { exitCode: 1 });
    }
    // The 7th failure is the 6th restart's end: no more restarts, and nothing pruned (keep 7 > 5).
    await waitFor(() => c.view().tasks.bySlot('limited', 1).every((t) => t.desiredState === TaskState.TASK_STATE_SHUTDOWN), {
      what: 'every task of the slot let go',
    });
    expect(c.view().tasks.bySlot('limited', 1).map((t) => t.id).sort()).toEqual([...failed].sort());
    expect(c.liveTasksOf('limited')).toHaveLength(0);
  });

  it('rebuilds the timer of a delayed restart when it becomes leader again', async () => {
    await c.addNode('node-a');
    await c.createService({ id: 'slow', replicas: 1, restart: { delayMs: 3_000 } });
    const first = await waitFor(() => c.tasksOf('slow').find((t) => t.status?.state === TaskState.TASK_STATE_ASSIGNED), { what: 'slow ASSIGNED' });
    await c.reportTask(first.id, TaskState.TASK_STATE_FAILED, { exitCode: 1 });
    await waitFor(() => c.orchestrator.waitingRestarts === 1, { what: 'a delayed restart waiting' });

    await c.orchestrator.setLeader(false);
    expect(c.orchestrator.waitingRestarts).toBe(0);
    await c.orchestrator.setLeader(true);
    await waitFor(() => c.orchestrator.waitingRestarts === 1, { what: 'the delayed restart waiting again after activation' });
    await waitFor(() => c.liveTasksOf('slow').find((t) => t.status?.state === TaskState.TASK_STATE_ASSIGNED && t.id !== first.id), {
      what: 'the replacement started and ASSIGNED',
      timeoutMs: 15_000,
    });
    expect(c.tasksOf('slow')).toHaveLength(2);
  });

  it('replaces the tasks of a node that goes DOWN on the other node', async () => {
    await c.addNode('node-a');
    await c.addNode('node-b');
    await c.createService({ id: 'db', replicas: 3 });
    await waitFor(() => Object.values(assignedPerNode(c.tasksOf('db'))).reduce((a, b) => a + b, 0) === 3, { what: '3 tasks of db ASSIGNED' });
    const lost = c.tasksOf('db').filter((t) => t.nodeId === 'node-a');
    expect(lost.length).toBeGreaterThan(0);

    await c.updateNode('node-a', (n) => ({ ...n, status: { ...n.status!, state: NodeState.NODE_STATE_DOWN, message: 'heartbeat failure' } }));
    await waitFor(() => assignedPerNode(c.tasksOf('db'))['node-b'] === 3, { what: 'all 3 live tasks of db on node-b' });
    for (const t of lost) expect(c.view().tasks.get(t.id)?.desiredState).toBe(TaskState.TASK_STATE_SHUTDOWN);
    expect(c.liveTasksOf('db').map((t) => t.slot).sort()).toEqual([1, 2, 3]);
    expect(c.liveTasksOf('db').every((t) => t.nodeId === 'node-b')).toBe(true);
  });

  it('keeps tasks PENDING with the reason when no node satisfies the constraints, and places them once one does', async () => {
    await c.addNode('node-a');
    await c.addNode('node-b');
    await c.createService({ id: 'store', replicas: 2, constraints: ['node.labels.storage==ssd'] });
    const reasons = await waitFor(
      () => {
        const ts = c.tasksOf('store');
        return ts.length === 2 && ts.every((t) => t.status?.state === TaskState.TASK_STATE_PENDING && t.status.pendingReason !== '')
          ? ts.map((t) => t.status!.pendingReason)
          : undefined;
      },
      { what: 'tasks of store PENDING with a reason' },
    );
    expect(reasons[0]).toBe('no suitable node (2 nodes do not satisfy node.labels.storage==ssd)');
    expect(reasons[1]).toBe(reasons[0]);

    await c.updateNode('node-b', (n) => ({ ...n, spec: { ...n.spec!, annotations: { ...n.spec!.annotations!, labels: { storage: 'ssd' } } } }));
    await waitFor(() => assignedPerNode(c.tasksOf('store'))['node-b'] === 2, { what: 'both tasks of store on the ssd node' });
    expect(c.tasksOf('store').every((t) => t.status?.pendingReason === '')).toBe(true);
  });

  it('moves replicated tasks off a node whose labels stop satisfying their constraints', async () => {
    await c.addNode('node-a', { storage: 'ssd' });
    await c.addNode('node-b', { storage: 'hdd' });
    await c.createService({ id: 'fast', replicas: 2, constraints: ['node.labels.storage==ssd'] });
    await waitFor(() => assignedPerNode(c.tasksOf('fast'))['node-a'] === 2, { what: 'both tasks of fast on node-a' });
    const before = c.tasksOf('fast').map((t) => t.id);

    await c.updateNode('node-b', (n) => ({ ...n, spec: { ...n.spec!, annotations: { ...n.spec!.annotations!, labels: { storage: 'ssd' } } } }));
    await c.updateNode('node-a', (n) => ({ ...n, spec: { ...n.spec!, annotations: { ...n.spec!.annotations!, labels: { storage: 'hdd' } } } }));
    await waitFor(() => assignedPerNode(c.tasksOf('fast'))['node-b'] === 2, { what: 'both tasks of fast moved to node-b' });
    for (const id of before) expect(c.view().tasks.get(id)?.desiredState).toBe(TaskState.TASK_STATE_SHUTDOWN);
    expect(c.liveTasksOf('fast').map((t) => t.slot).sort()).toEqual([1, 2]);
  });

  it('shuts down the tasks of a deleted service and deletes them once they have ended', async () => {
    await c.addNode('node-a');
    await c.createService({ id: 'gone', replicas: 2 });
    await waitFor(() => assignedPerNode(c.tasksOf('gone'))['node-a'] === 2, { what: '2 tasks of gone ASSIGNED' });
    const ids = c.tasksOf('gone').map((t) => t.id);

    await c.deleteService('gone');
    await waitFor(() => c.tasksOf('gone').every((t) => t.desiredState === TaskState.TASK_STATE_SHUTDOWN), { what: 'tasks of gone shut down' });
    expect(c.tasksOf('gone')).toHaveLength(2); // assigned tasks wait for their agent to report the end

    for (const id of ids) await c.reportTask(id, TaskState.TASK_STATE_SHUTDOWN);
    await waitFor(() => c.tasksOf('gone').length === 0, { what: 'ended tasks of the deleted service removed from the store' });
  });
});

describe('global service', () => {
  it('runs one task per eligible node, follows a drain and a joining node, and honours constraints', async () => {
    await c.addNode('node-a', { zone: 'edge' });
    await c.addNode('node-b', { zone: 'edge' });
    await c.addNode('node-x', { zone: 'core' });
    await c.createService({ id: 'agent', global: true, constraints: ['node.labels.zone==edge'] });
    await waitFor(
      () => {
        const per = assignedPerNode(c.tasksOf('agent'));
        return per['node-a'] === 1 && per['node-b'] === 1;
      },
      { what: 'one agent task on each edge node' },
    );
    expect(c.tasksOf('agent').filter((t) => t.nodeId === 'node-x')).toHaveLength(0);
    expect(c.tasksOf('agent').every((t) => t.slot === 0)).toBe(true);

    await c.updateNode('node-b', (n) => ({ ...n, spec: { ...n.spec!, availability: NodeAvailability.NODE_AVAILABILITY_DRAIN } }));
    await waitFor(() => c.tasksOf('agent').filter((t) => t.nodeId === 'node-b').every((t) => t.desiredState === TaskState.TASK_STATE_SHUTDOWN), {
      what: 'the task on drained node-b shut down',
    });

    await c.addNode('node-c', { zone: 'edge' });
    await waitFor(() => assignedPerNode(c.tasksOf('agent'))['node-c'] === 1, { what: 'a task on the joining node-c' });
    const per = assignedPerNode(c.tasksOf('agent'));
    expect(per).toEqual({ 'node-a': 1, 'node-c': 1 });
    expect(c.liveTasksOf('agent')).toHaveLength(2);
  });
});

describe('replicated job', () => {
  it('runs 4 completions 2 at a time, never restarts a completed task and ends with 4 COMPLETE tasks', async () => {
    await c.addNode('node-a');
    await c.createService({ id: 'batch', mode: ServiceMode.SERVICE_MODE_REPLICATED_JOB, replicas: 4, maxConcurrent: 2 });
    const done: string[] = [];
    for (let round = 0; round < 4; round++) {
      const assigned = await waitFor(
        () => {
          const running = c.tasksOf('batch').filter((t) => live(t) && t.status?.state === TaskState.TASK_STATE_ASSIGNED);
          return running.length === Math.min(2, 4 - round) ? running : undefined;
        },
        { what: `min(2, ${4 - round}) tasks of batch ASSIGNED (round ${round})` },
      );
      const next = assigned.sort((a, b) => a.slot - b.slot)[0]!;
      done.push(next.id);
      await c.reportTask(next.id, TaskState.TASK_STATE_COMPLETE, { exitCode: 0 });
    }
    await waitFor(() => c.tasksOf('batch').every((t) => t.desiredState === TaskState.TASK_STATE_COMPLETE), {
      what: 'every task of batch desired COMPLETE',
    });
    const all = c.tasksOf('batch');
    expect(all.map((t) => t.id).sort()).toEqual([...done].sort());
    expect(all.map((t) => t.slot).sort()).toEqual([1, 2, 3, 4]);
    expect(all.every((t) => t.status?.state === TaskState.TASK_STATE_COMPLETE)).toBe(true);
  });
});

describe('task history limit', () => {
  it('prunes every slot to the cluster\'s --task-history-limit as soon as it is lowered, keeping the newest', async () => {
    await c.addNode('node-a');
    await c.createService({ id: 'flaky', replicas: 1, restart: { delayMs: 0 } });
    const failed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const current = await waitFor(() => c.tasksOf('flaky').find((t) => live(t) && t.status?.state === TaskState.TASK_STATE_ASSIGNED), {
        what: `task ${i + 1} of flaky ASSIGNED`,
      });
      await c.reportTask(current.id, TaskState.TASK_STATE_FAILED, { exitCode: 1 });
      failed.push(current.id);
    }
    const ended = () => c.tasksOf('flaky').filter((t) => !live(t));
    await waitFor(() => ended().length === 4 && c.tasksOf('flaky').some(live), { what: '4 ended tasks of flaky and a live one (default limit 5)' });

    await c.setTaskHistoryLimit(1);
    await waitFor(() => ended().length === 1, { what: 'the history of flaky pruned to 1' });
    expect(ended().map((t) => t.id)).toEqual([failed[3]]);
    expect(c.tasksOf('flaky').filter(live)).toHaveLength(1);
  });
});
