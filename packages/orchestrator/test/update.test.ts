import { describe, expect, it } from 'vitest';
import {
  Service,
  TaskState,
  UpdateFailureAction,
  UpdateOrder,
  UpdateState,
  type Task,
  type UpdateConfig,
} from '@flotilla/api';
import { planUpdate } from '../src/update/plan.js';
import { beginRollback, beginUpdate } from '../src/update/begin.js';
import { isDirty } from '../src/update/dirty.js';
import { isLive } from '../src/slots.js';
import { apply } from './apply.js';
import { counterIds, service as baseService, task } from './fixtures.js';

const OLD_ARGS = ['sleep', '1000'];
const NEW_ARGS = ['sleep', '2000'];
const STARTED = 1_000;

/** A service of `replicas` updated from OLD_ARGS to NEW_ARGS (spec version 2) at STARTED. */
function updating(replicas: number, update: Partial<UpdateConfig> = {}, rollback: Partial<UpdateConfig> = {}): Service {
  const old = baseService('web', { replicas });
  const spec = structuredClone(old.spec!);
  spec.task!.container!.args = NEW_ARGS;
  spec.update = { parallelism: 0, delayMs: 0, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE, monitorMs: 0, maxFailureRatio: 0, order: UpdateOrder.UPDATE_ORDER_STOP_FIRST, ...update };
  spec.rollback = { parallelism: 0, delayMs: 0, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE, monitorMs: 0, maxFailureRatio: 0, order: UpdateOrder.UPDATE_ORDER_STOP_FIRST, ...rollback };
  return Service.fromPartial({
    ...old,
    spec,
    previousSpec: old.spec,
    specVersion: 2,
    updateStatus: { state: UpdateState.UPDATE_STATE_UPDATING, startedAt: STARTED, message: 'update in progress' },
  });
}

/** `replicas` RUNNING tasks on the old spec, slots 1..n. */
function oldTasks(svc: Service, replicas: number): Task[] {
  return Array.from({ length: replicas }, (_, i) => {
    const t = task(`old-${i + 1}`, { slot: i + 1, specVersion: 1, createdAt: 10 });
    t.spec = structuredClone(svc.previousSpec!.task!);
    return t;
  });
}

/** Agents at work: every live NEW task becomes RUNNING at `at`; every task desired SHUTDOWN stops. */
function settle(tasks: Task[], at: number, outcome: (t: Task) => TaskState = () => TaskState.TASK_STATE_RUNNING): Task[] {
  return tasks.map((t) => {
    if (!isLive(t)) return t.status?.state === TaskState.TASK_STATE_SHUTDOWN ? t : { ...t, status: { ...t.status!, state: TaskState.TASK_STATE_SHUTDOWN, timestamp: at } };
    if (t.status!.state !== TaskState.TASK_STATE_NEW) return t;
    const state = outcome(t);
    return { ...t, status: { ...t.status!, state, timestamp: at, err: state === TaskState.TASK_STATE_REJECTED ? 'No such image: nope:latest' : '' } };
  });
}

/** The agents stop what was shut down (and nothing else changes). */
function stopped(tasks: Task[], at: number): Task[] {
  return tasks.map((t) => (!isLive(t) && t.status?.state === TaskState.TASK_STATE_RUNNING ? { ...t, status: { ...t.status!, state: TaskState.TASK_STATE_SHUTDOWN, timestamp: at } } : t));
}

/** One stop-first batch up to its replacements being created: shutdowns, the old tasks stop, creates (ids `<prefix>-n`). */
function stopFirstBatch(svc: Service, tasks: Task[], now: number, prefix: string): Task[] {
  const stops = planUpdate({ service: svc, tasks, now, newId: counterIds(`${prefix}-unused`) });
  expect(stops.actions.every((a) => a.type === 'shutdown')).toBe(true);
  const vacated = stopped(apply(tasks, stops.actions), now);
  return apply(vacated, planUpdate({ service: svc, tasks: vacated, now, newId: counterIds(prefix) }).actions);
}

const liveOn = (tasks: Task[], args: string[]): number =>
  tasks.filter((t) => isLive(t) && JSON.stringify(t.spec?.container?.args) === JSON.stringify(args)).length;

describe('planUpdate', () => {
  it.each([
    { state: UpdateState.UPDATE_STATE_UNKNOWN },
    { state: UpdateState.UPDATE_STATE_PAUSED },
    { state: UpdateState.UPDATE_STATE_COMPLETED },
    { state: UpdateState.UPDATE_STATE_ROLLBACK_PAUSED },
    { state: UpdateState.UPDATE_STATE_ROLLBACK_COMPLETED },
  ])('does nothing in state $state', ({ state }) => {
    const svc = updating(2);
    svc.updateStatus!.state = state;
    expect(planUpdate({ service: svc, tasks: oldTasks(svc, 2), now: STARTED })).toEqual({ actions: [] });
  });

  it.each([
    { parallelism: 2, replicas: 4, batches: [2, 2] },
    { parallelism: 1, replicas: 3, batches: [1, 1, 1] },
    { parallelism: 3, replicas: 4, batches: [3, 1] },
    { parallelism: 0, replicas: 4, batches: [4] },
  ])('stop-first, parallelism $parallelism over $replicas replicas: batches $batches', ({ parallelism, replicas, batches }) => {
    const svc = updating(replicas, { parallelism });
    let tasks = oldTasks(svc, replicas);
    const seen: number[] = [];
    let now = STARTED;
    for (let round = 0; round < 20; round++) {
      const plan = planUpdate({ service: svc, tasks, now, newId: counterIds(`r${round}`) });
      if (plan.service) {
        expect(plan.service.updateStatus).toMatchObject({ state: UpdateState.UPDATE_STATE_COMPLETED, completedAt: now, message: 'update completed' });
        break;
      }
      const stops = plan.actions.filter((a) => a.type === 'shutdown');
      const creates = plan.actions.flatMap((a) => (a.type === 'create' ? [a.task] : []));
      // stop-first: a round either stops a batch or replaces what has stopped, never both.
      expect(stops.length === 0 || creates.length === 0).toBe(true);
      if (stops.length > 0) seen.push(stops.length);
      for (const c of creates) {
        expect(c.specVersion).toBe(2);
        expect(tasks.filter((t) => t.slot === c.slot).every((t) => !isLive(t) && t.status?.state === TaskState.TASK_STATE_SHUTDOWN)).toBe(true);
      }
      tasks = apply(tasks, plan.actions);
      expect(planUpdate({ service: svc, tasks, now }).actions).toEqual([]); // waits for the old to stop / the new to run
      now += 10;
      tasks = settle(tasks, now);
    }
    expect(seen).toEqual(batches);
    expect(liveOn(tasks, NEW_ARGS)).toBe(replicas);
    expect(liveOn(tasks, OLD_ARGS)).toBe(0);
  });

  it('without a delay, a window: the next unit starts as soon as one of the batch runs, never more than `parallelism` in flight', () => {
    const svc = updating(4, { parallelism: 2, order: UpdateOrder.UPDATE_ORDER_START_FIRST });
    let tasks = oldTasks(svc, 4);
    const first = planUpdate({ service: svc, tasks, now: STARTED, newId: counterIds('a') });
    expect(first.actions.map((a) => (a.type === 'create' ? a.task.slot : a.type))).toEqual([1, 2]);
    tasks = apply(tasks, first.actions);
    // Only a-1 runs; a-2 is still starting.
    tasks = tasks.map((t) => (t.id === 'a-1' ? { ...t, status: { ...t.status!, state: TaskState.TASK_STATE_RUNNING, timestamp: 1_100 } } : t));
    const second = planUpdate({ service: svc, tasks, now: 1_100, newId: counterIds('b') });
    expect(second.actions).toEqual([
      { type: 'shutdown', taskId: 'old-1', reason: 'replaced by task a-1 (start-first update)' },
      { type: 'create', task: expect.objectContaining({ id: 'b-1', slot: 3 }) },
    ]);
    tasks = apply(tasks, second.actions);
    // Two in flight (a-2, b-1): nothing more starts until one of them runs.
    expect(planUpdate({ service: svc, tasks, now: 1_150 }).actions).toEqual([]);
    tasks = tasks.map((t) => (t.id === 'b-1' ? { ...t, status: { ...t.status!, state: TaskState.TASK_STATE_RUNNING, timestamp: 1_200 } } : t));
    const third = planUpdate({ service: svc, tasks, now: 1_200, newId: counterIds('c') });
    expect(third.actions).toEqual([
      { type: 'shutdown', taskId: 'old-3', reason: 'replaced by task b-1 (start-first update)' },
      { type: 'create', task: expect.objectContaining({ id: 'c-1', slot: 4 }) },
    ]);
  });

  it('stop-first without a delay: the next slot is stopped as soon as one of the batch runs', () => {
    const svc = updating(3, { parallelism: 2 });
    let tasks = stopFirstBatch(svc, oldTasks(svc, 3), STARTED, 'a');
    expect(tasks.filter((t) => isLive(t) && t.specVersion === 2).map((t) => t.slot)).toEqual([1, 2]);
    tasks = tasks.map((t) => (t.id === 'a-1' ? { ...t, status: { ...t.status!, state: TaskState.TASK_STATE_RUNNING, timestamp: 1_100 } } : t));
    expect(planUpdate({ service: svc, tasks, now: 1_100 }).actions).toEqual([shutdownOf('old-3')]);
  });

  it('waits `delay` after a batch is running, then `monitor` before completing', () => {
    const svc = updating(2, { parallelism: 1, delayMs: 500, monitorMs: 2_000 });
    let tasks = settle(stopFirstBatch(svc, oldTasks(svc, 2), STARTED, 'a'), 1_100);
    expect(planUpdate({ service: svc, tasks, now: 1_200 })).toEqual({ actions: [], wakeAt: 1_600 });
    expect(planUpdate({ service: svc, tasks, now: 1_600 }).actions.map((a) => a.type)).toEqual(['shutdown']);
    tasks = settle(stopFirstBatch(svc, tasks, 1_600, 'b'), 1_700);
    expect(planUpdate({ service: svc, tasks, now: 1_800 })).toEqual({ actions: [], wakeAt: 3_700 });
    expect(planUpdate({ service: svc, tasks, now: 3_700 }).service?.updateStatus?.state).toBe(UpdateState.UPDATE_STATE_COMPLETED);
  });

  // Like swarm's updater, whose monitor begins when its last worker has seen its replacement
  // RUNNING (and only set the old task's desired state): the window is counted once, from the
  // last replacement's RUNNING, not per unit and not from the old tasks' stop.
  it('start-first: `monitor` runs from the last replacement RUNNING, while the old tasks still stop', () => {
    const svc = updating(2, { parallelism: 2, monitorMs: 5_000, order: UpdateOrder.UPDATE_ORDER_START_FIRST });
    /** The agent reports only task `id` RUNNING at `at`; nothing else moves (old containers still stopping). */
    const running = (ts: Task[], id: string, at: number): Task[] =>
      ts.map((t) => (t.id === id ? { ...t, status: { ...t.status!, state: TaskState.TASK_STATE_RUNNING, timestamp: at } } : t));
    let tasks = apply(oldTasks(svc, 2), planUpdate({ service: svc, tasks: oldTasks(svc, 2), now: STARTED, newId: counterIds('a') }).actions);
    tasks = running(tasks, 'a-1', 1_200);
    const firstRunning = planUpdate({ service: svc, tasks, now: 1_200 });
    expect(firstRunning).toEqual({ actions: [{ type: 'shutdown', taskId: 'old-1', reason: 'replaced by task a-1 (start-first update)' }] });
    tasks = running(apply(tasks, firstRunning.actions), 'a-2', 1_300);
    const lastRunning = planUpdate({ service: svc, tasks, now: 1_300 });
    expect(lastRunning).toEqual({ actions: [{ type: 'shutdown', taskId: 'old-2', reason: 'replaced by task a-2 (start-first update)' }], wakeAt: 6_300 });
    tasks = apply(tasks, lastRunning.actions);
    expect(tasks.filter((t) => t.id.startsWith('old-')).map((t) => t.status?.state)).toEqual([TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_RUNNING]);
    expect(planUpdate({ service: svc, tasks, now: 6_299 })).toEqual({ actions: [], wakeAt: 6_300 });
    expect(planUpdate({ service: svc, tasks, now: 6_300 }).service?.updateStatus?.state).toBe(UpdateState.UPDATE_STATE_COMPLETED);
  });

  it('start-first: creates the replacement first, shuts the old one down once the new one runs', () => {
    const svc = updating(2, { parallelism: 1, order: UpdateOrder.UPDATE_ORDER_START_FIRST });
    let tasks = oldTasks(svc, 2);
    const first = planUpdate({ service: svc, tasks, now: STARTED, newId: counterIds('a') });
    expect(first.actions).toEqual([{ type: 'create', task: expect.objectContaining({ id: 'a-1', slot: 1 }) }]);
    tasks = apply(tasks, first.actions);
    expect(planUpdate({ service: svc, tasks, now: STARTED }).actions).toEqual([]);
    tasks = settle(tasks, 1_100);
    const second = planUpdate({ service: svc, tasks, now: 1_100, newId: counterIds('b') });
    expect(second.actions).toEqual([
      { type: 'shutdown', taskId: 'old-1', reason: 'replaced by task a-1 (start-first update)' },
      { type: 'create', task: expect.objectContaining({ id: 'b-1', slot: 2 }) },
    ]);
  });

  it.each([
    { maxFailureRatio: 0, failing: 1, paused: true },
    { maxFailureRatio: 0.5, failing: 1, paused: false },
    { maxFailureRatio: 0.5, failing: 2, paused: true },
  ])('pause when failed/updated > $maxFailureRatio ($failing of 2 failing): $paused', ({ maxFailureRatio, failing, paused }) => {
    const svc = updating(4, { parallelism: 2, maxFailureRatio });
    let tasks = stopFirstBatch(svc, oldTasks(svc, 4), STARTED, 'a');
    const failed = new Set(['a-1', 'a-2'].slice(0, failing));
    tasks = settle(tasks, 1_100, (t) => (failed.has(t.id) ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_RUNNING));
    const plan = planUpdate({ service: svc, tasks, now: 1_200, newId: counterIds('b') });
    if (paused) {
      expect(plan.actions).toEqual([]);
      expect(plan.service?.updateStatus?.state).toBe(UpdateState.UPDATE_STATE_PAUSED);
      expect(plan.service?.updateStatus?.message).toContain('update paused due to failure of task');
      expect(plan.service?.updateStatus?.message).toContain('(a-1): No such image: nope:latest');
      expect(plan.service?.spec).toEqual(svc.spec);
    } else {
      expect(plan.service).toBeUndefined();
      expect(plan.actions.filter((a) => a.type === 'shutdown')).toHaveLength(2);
    }
  });

  it('continue: failures do not stop the update', () => {
    const svc = updating(2, { parallelism: 1, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE });
    let tasks = settle(stopFirstBatch(svc, oldTasks(svc, 2), STARTED, 'a'), 1_100, () => TaskState.TASK_STATE_FAILED);
    const plan = planUpdate({ service: svc, tasks, now: 1_200, newId: counterIds('b') });
    expect(plan.service).toBeUndefined();
    expect(plan.actions.map((a) => a.type)).toEqual(['shutdown']);
  });

  it('continue: a failing replacement being restarted (delayed, READY) does not hold the next batch', () => {
    const svc = updating(2, { parallelism: 1, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE });
    let tasks = settle(stopFirstBatch(svc, oldTasks(svc, 2), STARTED, 'a'), 1_100, () => TaskState.TASK_STATE_FAILED);
    // The restart supervisor let the failed one go and made a delayed replacement in slot 1.
    tasks = tasks.map((t) => (t.id === 'a-1' ? { ...t, desiredState: TaskState.TASK_STATE_SHUTDOWN } : t));
    const restart = task('a-1-restart', { slot: 1, specVersion: 2, createdAt: 1_150, state: TaskState.TASK_STATE_NEW, desiredState: TaskState.TASK_STATE_READY });
    restart.spec = structuredClone(svc.spec!.task!);
    tasks = [...tasks, restart];
    expect(planUpdate({ service: svc, tasks, now: 1_200 }).actions).toEqual([shutdownOf('old-2')]);
  });

  it('rollback: restores previousSpec, then rolls the updated slots back with the rollback config', () => {
    const svc = updating(4, { parallelism: 2, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK }, { parallelism: 1 });
    let tasks = settle(stopFirstBatch(svc, oldTasks(svc, 4), STARTED, 'a'), 1_100, () => TaskState.TASK_STATE_REJECTED);
    const failing = planUpdate({ service: svc, tasks, now: 1_200 });
    const rolled = failing.service!;
    expect(rolled.spec).toEqual(svc.previousSpec);
    expect(rolled.previousSpec).toEqual(svc.spec);
    expect(rolled.specVersion).toBe(3);
    expect(rolled.updateStatus).toMatchObject({ state: UpdateState.UPDATE_STATE_ROLLBACK_STARTED, startedAt: 1_200 });
    expect(rolled.updateStatus?.message).toContain('update rolled back due to failure of task');

    // Slots 3 and 4 still run the old spec: untouched. Slots 1 and 2 go back one at a time.
    let now = 1_300;
    const batches: number[][] = [];
    for (let round = 0; round < 10; round++) {
      const plan = planUpdate({ service: rolled, tasks, now, newId: counterIds(`r${round}`) });
      if (plan.service) {
        expect(plan.service.updateStatus).toMatchObject({ state: UpdateState.UPDATE_STATE_ROLLBACK_COMPLETED });
        expect(plan.service.updateStatus?.message).toBe('rollback completed: update rolled back due to failure of task web-name.1.a-1 (a-1): No such image: nope:latest (2 of 2 updated failed)');
        break;
      }
      const stops = plan.actions.flatMap((a) => (a.type === 'shutdown' ? [tasks.find((t) => t.id === a.taskId)!.slot] : []));
      if (stops.length > 0) batches.push(stops);
      tasks = settle(apply(tasks, plan.actions), (now += 10));
    }
    expect(batches).toEqual([[1], [2]]);
    expect(tasks.filter((t) => t.id.startsWith('old-') && isLive(t)).map((t) => t.slot)).toEqual([3, 4]);
    expect(liveOn(tasks, OLD_ARGS)).toBe(4);
  });

  it('a failing rollback pauses as ROLLBACK_PAUSED', () => {
    const svc = updating(1, { failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK }, { failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK });
    const rollingBack = Service.fromPartial({ ...svc, updateStatus: { state: UpdateState.UPDATE_STATE_ROLLBACK_STARTED, startedAt: STARTED } });
    const tasks = settle(stopFirstBatch(rollingBack, oldTasks(svc, 1), STARTED, 'a'), 1_100, () => TaskState.TASK_STATE_FAILED);
    const plan = planUpdate({ service: rollingBack, tasks, now: 1_200 });
    expect(plan.service?.updateStatus?.state).toBe(UpdateState.UPDATE_STATE_ROLLBACK_PAUSED);
    expect(plan.service?.updateStatus?.message).toMatch(/^rollback paused due to failure of task/);
  });

  it('rollback without a previous spec pauses and says why', () => {
    const svc = updating(1, { failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK });
    const noPrevious = Service.fromPartial({ ...svc, previousSpec: undefined });
    const tasks = settle(stopFirstBatch(noPrevious, oldTasks(svc, 1), STARTED, 'a'), 1_100, () => TaskState.TASK_STATE_FAILED);
    expect(planUpdate({ service: noPrevious, tasks, now: 1_200 }).service?.updateStatus?.message).toContain('no previous spec');
  });

  it.each([
    { case: 'a slot scaled away (beyond replicas) is left alone', replicas: 1, slot2: TaskState.TASK_STATE_SHUTDOWN, expected: [shutdownOf('old-1')] },
    { case: 'a vacated slot still stopping is waited for', replicas: 2, slot2: TaskState.TASK_STATE_RUNNING, expected: [] },
    { case: 'a vacated slot whose task stopped gets the new spec', replicas: 2, slot2: TaskState.TASK_STATE_SHUTDOWN, expected: [{ type: 'create', task: expect.objectContaining({ slot: 2, specVersion: 2 }) }] },
  ])('$case', ({ replicas, slot2, expected }) => {
    const svc = updating(replicas);
    const tasks = oldTasks(svc, 2).map((t) => (t.slot === 2 ? { ...t, desiredState: TaskState.TASK_STATE_SHUTDOWN, status: { ...t.status!, state: slot2 } } : t));
    expect(planUpdate({ service: svc, tasks, now: STARTED, newId: counterIds('a') }).actions).toEqual(expected);
  });
});

describe('isDirty', () => {
  it.each([
    { change: 'nothing', edit: () => {}, dirty: false },
    { change: 'args', edit: (s: Service) => (s.spec!.task!.container!.args = ['x']), dirty: true },
    { change: 'env', edit: (s: Service) => (s.spec!.task!.container!.env = ['A=1']), dirty: true },
    { change: 'forceUpdate', edit: (s: Service) => (s.spec!.task!.forceUpdate = 1), dirty: true },
    { change: 'replicas only', edit: (s: Service) => (s.spec!.replicas = 9), dirty: false },
  ])('$change changed: dirty=$dirty', ({ edit, dirty }) => {
    const svc = baseService('web', { replicas: 1 });
    const t = task('t1', { slot: 1 });
    t.spec = structuredClone(svc.spec!.task!);
    edit(svc);
    expect(isDirty(t, svc)).toBe(dirty);
  });
});

function shutdownOf(taskId: string): unknown {
  return { type: 'shutdown', taskId, reason: expect.any(String) };
}

describe('beginUpdate / beginRollback', () => {
  const current = (): Service => Service.fromPartial({ ...baseService('web', { replicas: 2 }), specVersion: 4 });

  it('keeps the old spec as previousSpec, bumps the version and starts UPDATING', () => {
    const svc = current();
    const spec = structuredClone(svc.spec!);
    spec.task!.container!.args = NEW_ARGS;
    const next = beginUpdate(svc, spec, 7_000);
    expect(next.spec).toEqual(spec);
    expect(next.previousSpec).toEqual(svc.spec);
    expect(next.specVersion).toBe(5);
    expect(next.updateStatus).toEqual({ state: UpdateState.UPDATE_STATE_UPDATING, startedAt: 7_000, completedAt: 0, message: 'update in progress' });
  });

  it.each([
    { change: 'name', edit: (s: NonNullable<Service['spec']>) => (s.annotations!.name = 'other'), error: 'renaming services is not supported' },
    { change: 'mode', edit: (s: NonNullable<Service['spec']>) => (s.mode = 'SERVICE_MODE_GLOBAL' as never), error: 'service mode change is not allowed' },
  ])('refuses a $change change', ({ edit, error }) => {
    const spec = structuredClone(current().spec!);
    edit(spec);
    expect(() => beginUpdate(current(), spec, 1)).toThrow(error);
  });

  it('rollback swaps spec and previousSpec; without a previous spec it refuses', () => {
    const svc = current();
    const spec = structuredClone(svc.spec!);
    spec.task!.container!.args = NEW_ARGS;
    const updated = beginUpdate(svc, spec, 1);
    const back = beginRollback(updated, 2);
    expect(back.spec).toEqual(svc.spec);
    expect(back.previousSpec).toEqual(spec);
    expect(back.specVersion).toBe(6);
    expect(back.updateStatus?.state).toBe(UpdateState.UPDATE_STATE_ROLLBACK_STARTED);
    expect(() => beginRollback(svc, 2)).toThrow('service does not have a previous spec');
  });
});
