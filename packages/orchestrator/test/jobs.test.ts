import { describe, expect, it } from 'vitest';
import { NodeAvailability, RestartCondition, ServiceMode, TaskState, type Node, type Service, type Task } from '@flotilla/api';
import { reconcileGlobalJob } from '../src/jobs/global.js';
import { reconcileReplicatedJob } from '../src/jobs/replicated.js';
import { restartActions } from '../src/restart/actions.js';
import { decideRestart } from '../src/restart/supervisor.js';
import { isLive } from '../src/slots.js';
import { apply } from './apply.js';
import { counterIds, node, service, task } from './fixtures.js';

const REPLICATED_JOB = ServiceMode.SERVICE_MODE_REPLICATED_JOB;
const GLOBAL_JOB = ServiceMode.SERVICE_MODE_GLOBAL_JOB;

/** The agent's part: the task's container exits (0 → COMPLETE, else FAILED) at `at`. */
function exits(tasks: Task[], id: string, code: number, at = 1): Task[] {
  return tasks.map((t) =>
    t.id === id
      ? { ...t, status: { ...t.status!, state: code === 0 ? TaskState.TASK_STATE_COMPLETE : TaskState.TASK_STATE_FAILED, timestamp: at, container: { containerId: '', pid: 0, exitCode: code } } }
      : t,
  );
}

/** The restart supervisor's part for every ended task still desired RUNNING, as the edge does it. */
function supervise(svc: Service, tasks: Task[], newId: () => string, nodes: Node[] = []): Task[] {
  let out = tasks;
  for (const t of tasks) {
    if (!isLive(t) || (t.status?.state ?? 0) < TaskState.TASK_STATE_COMPLETE) continue;
    const history = out.filter((o) => o.serviceId === t.serviceId && o.slot === t.slot && o.nodeId === t.nodeId);
    const decision = decideRestart({ task: t, history, now: 2, job: true });
    const n = nodes.find((x) => x.id === t.nodeId);
    out = apply(out, restartActions({ decision, service: svc, task: t, now: 2, newId, ...(n ? { node: n } : {}) }));
  }
  return out;
}

const running = (tasks: Task[]): Task[] => tasks.filter((t) => isLive(t) && t.status?.state !== TaskState.TASK_STATE_COMPLETE);
const slotsOf = (tasks: Task[]): number[] => tasks.map((t) => t.slot).sort((a, b) => a - b);
const byState = (tasks: Task[], state: TaskState): Task[] => tasks.filter((t) => t.status?.state === state);

describe('reconcileReplicatedJob', () => {
  it('runs 5 completions 2 at a time, each in a slot of its own, and nothing after the 5th', () => {
    const svc = service('batch', { mode: REPLICATED_JOB, replicas: 5, maxConcurrent: 2 });
    const ids = counterIds();
    let tasks: Task[] = [];
    const round = (): void => {
      tasks = apply(tasks, reconcileReplicatedJob({ service: { ...svc, id: 'web' }, tasks, now: 0, newId: ids }));
    };
    round();
    expect(slotsOf(running(tasks))).toEqual([1, 2]);
    round();
    expect(tasks).toHaveLength(2); // steady while both run

    for (let done = 0; done < 5; done++) {
      const first = running(tasks)[0]!;
      tasks = supervise({ ...svc, id: 'web' }, exits(tasks, first.id, 0), ids);
      round();
    }
    expect(byState(tasks, TaskState.TASK_STATE_COMPLETE)).toHaveLength(5);
    expect(slotsOf(tasks)).toEqual([1, 2, 3, 4, 5]);
    expect(running(tasks)).toEqual([]);
    // Completed tasks are desired COMPLETE (docker's `service ps` shows Complete), never restarted.
    expect(tasks.every((t) => t.desiredState === TaskState.TASK_STATE_COMPLETE)).toBe(true);
    round();
    expect(tasks).toHaveLength(5);
  });

  it('runs every completion at once when max-concurrent is not set (0)', () => {
    const svc = { ...service('web', { mode: REPLICATED_JOB, replicas: 3 }) };
    const actions = reconcileReplicatedJob({ service: svc, tasks: [], now: 7, newId: counterIds() });
    expect(actions.map((a) => (a.type === 'create' ? [a.task.slot, a.task.jobIteration, a.task.desiredState] : a))).toEqual([
      [1, 0, TaskState.TASK_STATE_RUNNING],
      [2, 0, TaskState.TASK_STATE_RUNNING],
      [3, 0, TaskState.TASK_STATE_RUNNING],
    ]);
  });

  it('leaves a failed task to the restart supervisor, which restarts it in its slot', () => {
    const svc = service('web', { mode: REPLICATED_JOB, replicas: 2, maxConcurrent: 2, restart: { condition: RestartCondition.RESTART_CONDITION_ON_FAILURE } });
    const ids = counterIds();
    let tasks = apply([], reconcileReplicatedJob({ service: svc, tasks: [], now: 0, newId: ids }));
    tasks = exits(tasks, 'id-1', 3);
    // Before the supervisor acts, the failed task still holds its slot: nothing new.
    expect(reconcileReplicatedJob({ service: svc, tasks, now: 1, newId: ids })).toEqual([]);
    tasks = supervise(svc, tasks, ids);
    expect(slotsOf(running(tasks))).toEqual([1, 2]);
    expect(tasks.find((t) => t.id === 'id-3')?.slot).toBe(1);
    expect(reconcileReplicatedJob({ service: svc, tasks, now: 2, newId: ids })).toEqual([]);
  });

  it('does not run a slot again once the supervisor gave up on it (no tight loop)', () => {
    const svc = service('web', { mode: REPLICATED_JOB, replicas: 2, maxConcurrent: 1, restart: { condition: RestartCondition.RESTART_CONDITION_NONE } });
    const ids = counterIds();
    let tasks = apply([], reconcileReplicatedJob({ service: svc, tasks: [], now: 0, newId: ids }));
    tasks = supervise(svc, exits(tasks, 'id-1', 1), ids);
    expect(tasks.find((t) => t.id === 'id-1')?.desiredState).toBe(TaskState.TASK_STATE_SHUTDOWN);
    tasks = apply(tasks, reconcileReplicatedJob({ service: svc, tasks, now: 2, newId: ids }));
    // Slot 1 failed for good: the job goes on with slot 2, and ends there.
    expect(slotsOf(running(tasks))).toEqual([2]);
    tasks = supervise(svc, exits(tasks, 'id-2', 0), ids);
    expect(reconcileReplicatedJob({ service: svc, tasks, now: 3, newId: ids })).toEqual([]);
  });

  it('runs a slot again whose task was lost with its node (shut down, never failed)', () => {
    const svc = service('web', { mode: REPLICATED_JOB, replicas: 1 });
    const lost = task('old', { slot: 1, state: TaskState.TASK_STATE_RUNNING, desiredState: TaskState.TASK_STATE_SHUTDOWN });
    const actions = reconcileReplicatedJob({ service: svc, tasks: [lost], now: 0, newId: counterIds() });
    expect(actions.map((a) => (a.type === 'create' ? a.task.slot : a))).toEqual([1]);
  });

  it('starts a new iteration from zero completions and shuts down the previous one (service update --force)', () => {
    const before = service('web', { mode: REPLICATED_JOB, replicas: 2, maxConcurrent: 1 });
    const ids = counterIds();
    let tasks = apply([], reconcileReplicatedJob({ service: before, tasks: [], now: 0, newId: ids }));
    tasks = supervise(before, exits(tasks, 'id-1', 0), ids);
    tasks = apply(tasks, reconcileReplicatedJob({ service: before, tasks, now: 1, newId: ids }));
    expect(slotsOf(running(tasks))).toEqual([2]);

    const after = service('web', { mode: REPLICATED_JOB, replicas: 2, maxConcurrent: 1, jobIteration: 1, specVersion: 2 });
    const actions = reconcileReplicatedJob({ service: after, tasks, now: 3, newId: ids });
    expect(actions.filter((a) => a.type === 'shutdown').map((a) => a.type === 'shutdown' && [a.taskId, a.reason])).toEqual([['id-2', 'job iteration 1 replaces it']]);
    expect(actions.filter((a) => a.type === 'create').map((a) => a.type === 'create' && [a.task.slot, a.task.jobIteration])).toEqual([[1, 1]]);
  });

  it('does not restart a task of an earlier iteration that fails', () => {
    const svc = service('web', { mode: REPLICATED_JOB, replicas: 1, jobIteration: 1 });
    const old = exits([task('old', { slot: 1 })], 'old', 1)[0]!;
    const decision = decideRestart({ task: old, history: [old], now: 2, job: true });
    expect(decision.kind).toBe('restart-now');
    const actions = restartActions({ decision, service: svc, task: old, now: 2 });
    expect(actions.map((a) => a.type)).toEqual(['shutdown']);
  });

  it('refuses a service that is not a replicated job', () => {
    expect(() => reconcileReplicatedJob({ service: service('web'), tasks: [], now: 0 })).toThrow(/as a replicated job/);
  });
});

describe('decideRestart for jobs', () => {
  it.each([
    ['completed, condition any', RestartCondition.RESTART_CONDITION_ANY, 0, 'give-up'],
    ['completed, condition on-failure', RestartCondition.RESTART_CONDITION_ON_FAILURE, 0, 'give-up'],
    ['failed, condition any', RestartCondition.RESTART_CONDITION_ANY, 1, 'restart-now'],
    ['failed, condition none', RestartCondition.RESTART_CONDITION_NONE, 1, 'give-up'],
  ])('%s → %s', (_name, condition, code, kind) => {
    const t = exits([task('t', { slot: 1, restart: { condition } })], 't', code)[0]!;
    const decision = decideRestart({ task: t, history: [t], now: 5, job: true });
    expect(decision.kind).toBe(kind);
    expect(decision.kind === 'give-up' && decision.completed === true).toBe(code === 0);
  });

  it('restarts a completed task of a service that is not a job (condition any), as before', () => {
    const t = exits([task('t', { slot: 1 })], 't', 0)[0]!;
    expect(decideRestart({ task: t, history: [t], now: 5 }).kind).toBe('restart-now');
  });
});

describe('reconcileGlobalJob', () => {
  const anyNode = (): boolean => true;
  const svc = service('web', { mode: GLOBAL_JOB });

  it('runs once on every node, not on nodes that join later, and again on a drained node only if it had not finished', () => {
    const ids = counterIds();
    const job = service('web', { mode: GLOBAL_JOB, lastExecution: 100 });
    let nodes = [node('n1', { joinedAt: 50 }), node('n2', { joinedAt: 100 })];
    let tasks: Task[] = [];
    const round = (): void => {
      tasks = apply(tasks, reconcileGlobalJob({ service: job, tasks, nodes, isEligible: anyNode, now: 0, newId: ids }));
    };
    round();
    expect(running(tasks).map((t) => [t.nodeId, t.slot])).toEqual([['n1', 0], ['n2', 0]]);
    tasks = supervise(job, exits(tasks, 'id-1', 0), ids, nodes);
    round();
    expect(tasks).toHaveLength(2); // n1 is done, n2 still running

    // docker: a global job does not follow the node inventory once it runs.
    nodes = [...nodes, node('n3', { joinedAt: 101 })];
    round();
    expect(running(tasks).map((t) => t.nodeId)).toEqual(['n2']);

    const drained = (id: string) => nodes.map((n) => (n.id === id ? node(id, { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN, joinedAt: n.meta!.createdAt }) : n));
    nodes = drained('n1');
    round();
    expect(tasks).toHaveLength(2); // n1's completed task stays, nothing to shut down
    nodes = drained('n2');
    round();
    expect(running(tasks)).toEqual([]);
    nodes = [node('n1', { joinedAt: 50 }), node('n2', { joinedAt: 100 }), node('n3', { joinedAt: 101 })];
    round();
    // n2's run was cut short by the drain: it runs again; n1 finished: it does not; n3 came too late.
    expect(running(tasks).map((t) => t.nodeId)).toEqual(['n2']);
    expect(tasks.filter((t) => t.nodeId === 'n1')).toHaveLength(1);

    // The next iteration (service update --force) runs on every node there is, n3 included.
    const next = service('web', { mode: GLOBAL_JOB, jobIteration: 1, lastExecution: 200, specVersion: 2 });
    const actions = reconcileGlobalJob({ service: next, tasks, nodes, isEligible: anyNode, now: 200, newId: ids });
    expect(actions.filter((a) => a.type === 'create').map((a) => a.type === 'create' && a.task.nodeId)).toEqual(['n1', 'n2', 'n3']);
  });

  it('runs again everywhere on a new iteration', () => {
    const ids = counterIds();
    const nodes = [node('n1')];
    let tasks = apply([], reconcileGlobalJob({ service: svc, tasks: [], nodes, isEligible: anyNode, now: 0, newId: ids }));
    tasks = supervise(svc, exits(tasks, 'id-1', 0), ids, nodes);
    const next = service('web', { mode: GLOBAL_JOB, jobIteration: 1, specVersion: 2 });
    const actions = reconcileGlobalJob({ service: next, tasks, nodes, isEligible: anyNode, now: 1, newId: ids });
    expect(actions.map((a) => (a.type === 'create' ? [a.task.nodeId, a.task.jobIteration] : a))).toEqual([['n1', 1]]);
  });

  it('does not run again on a node where it failed for good', () => {
    const failing = service('web', { mode: GLOBAL_JOB, restart: { condition: RestartCondition.RESTART_CONDITION_NONE } });
    const ids = counterIds();
    const nodes = [node('n1')];
    let tasks = apply([], reconcileGlobalJob({ service: failing, tasks: [], nodes, isEligible: anyNode, now: 0, newId: ids }));
    tasks = supervise(failing, exits(tasks, 'id-1', 2), ids, nodes);
    expect(reconcileGlobalJob({ service: failing, tasks, nodes, isEligible: anyNode, now: 1, newId: ids })).toEqual([]);
  });

  it('runs only where the constraints hold', () => {
    const ssd = (n: Node): boolean => n.spec?.annotations?.labels['storage'] === 'ssd';
    const actions = reconcileGlobalJob({ service: svc, tasks: [], nodes: [node('n1'), node('n2', { labels: { storage: 'ssd' } })], isEligible: ssd, now: 0, newId: counterIds() });
    expect(actions.map((a) => a.type === 'create' && a.task.nodeId)).toEqual(['n2']);
  });
});
