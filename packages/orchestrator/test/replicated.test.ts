import { describe, expect, it } from 'vitest';
import { ServiceMode, TaskState, type Task } from '@flotilla/api';
import { reconcileReplicated } from '../src/replicated/reconcile.js';
import type { Action } from '../src/actions.js';
import { counterIds, service, task } from './fixtures.js';

const { TASK_STATE_RUNNING: RUNNING, TASK_STATE_PENDING: PENDING, TASK_STATE_FAILED: FAILED,
  TASK_STATE_SHUTDOWN: SHUTDOWN, TASK_STATE_READY: READY, TASK_STATE_COMPLETE: COMPLETE } = TaskState;

function summary(actions: Action[]): { created: number[]; shutdown: string[] } {
  return {
    created: actions.flatMap((a) => (a.type === 'create' ? [a.task.slot] : [])),
    shutdown: actions.flatMap((a) => (a.type === 'shutdown' ? [a.taskId] : [])),
  };
}

describe('reconcileReplicated: new tasks', () => {
  it('creates one task per slot 1..N with the service spec copied', () => {
    const svc = service('web', { replicas: 3, specVersion: 7 });
    const actions = reconcileReplicated({ service: svc, tasks: [], now: 1000, newId: counterIds() });
    expect(summary(actions)).toEqual({ created: [1, 2, 3], shutdown: [] });
    const first = actions[0];
    if (first?.type !== 'create') throw new Error('expected a create action');
    expect(first.task).toMatchObject({
      id: 'id-1',
      serviceId: 'web',
      serviceName: 'web-name',
      slot: 1,
      nodeId: '',
      desiredState: RUNNING,
      specVersion: 7,
      status: { state: TaskState.TASK_STATE_NEW, timestamp: 1000 },
      meta: { createdAt: 1000 },
      annotations: { name: 'web-name.1.id-1' },
    });
    expect(first.task.spec).toEqual(svc.spec!.task);
    expect(first.task.spec).not.toBe(svc.spec!.task);
    expect(first.task.spec!.container).not.toBe(svc.spec!.task!.container);
  });

  it('rejects a global service', () => {
    const svc = service('g', { mode: ServiceMode.SERVICE_MODE_GLOBAL });
    expect(() => reconcileReplicated({ service: svc, tasks: [], now: 0 })).toThrow(/as replicated: its mode is SERVICE_MODE_GLOBAL/);
  });
});

describe('reconcileReplicated: scaling', () => {
  const t = (id: string, slot: number, state: TaskState = RUNNING, desiredState: TaskState = RUNNING): Task =>
    task(id, { slot, state, desiredState, nodeId: 'n1' });

  it.each<[string, number, Task[], { created: number[]; shutdown: string[] }]>([
    ['steady state: nothing to do', 3, [t('a', 1), t('b', 2), t('c', 3)], { created: [], shutdown: [] }],
    ['fills the missing slot', 3, [t('a', 1), t('c', 3)], { created: [2], shutdown: [] }],
    ['scale up fills the lowest free numbers', 5, [t('a', 1), t('b', 2), t('g', 7)], { created: [3, 4], shutdown: [] }],
    [
      'a failed task still desired RUNNING keeps its slot (restart supervisor owns it)',
      3,
      [t('a', 1), t('b', 2, FAILED), t('c', 3)],
      { created: [], shutdown: [] },
    ],
    [
      'a slot whose tasks were all let go is refilled',
      3,
      [t('a', 1), t('b', 2, FAILED, SHUTDOWN), t('c', 3)],
      { created: [2], shutdown: [] },
    ],
    [
      'a delayed restart (desired READY) keeps the slot',
      2,
      [t('a', 1), t('b', 2, FAILED, SHUTDOWN), t('b2', 2, TaskState.TASK_STATE_NEW, READY)],
      { created: [], shutdown: [] },
    ],
    [
      'scale down takes the highest slots first',
      3,
      [t('a', 1), t('b', 2), t('c', 3), t('d', 4), t('e', 5)],
      { created: [], shutdown: ['e', 'd'] },
    ],
    [
      'scale down prefers slots whose task is not running',
      3,
      [t('a', 1), t('b', 2, PENDING), t('c', 3), t('d', 4), t('e', 5)],
      { created: [], shutdown: ['b', 'e'] },
    ],
    [
      'a failed-but-unhandled slot counts as not running',
      2,
      [t('a', 1, FAILED), t('b', 2), t('c', 3)],
      { created: [], shutdown: ['a'] },
    ],
    [
      'scale to zero shuts down every live task, ended ones untouched',
      0,
      [t('a', 1), t('b', 2, COMPLETE, SHUTDOWN), t('c', 2)],
      { created: [], shutdown: ['c', 'a'] },
    ],
    [
      'a slot scaled away loses all its live tasks',
      1,
      [t('a', 1), t('b', 2, FAILED), t('b2', 2, TaskState.TASK_STATE_NEW, READY)],
      { created: [], shutdown: ['b', 'b2'] },
    ],
    [
      'tasks of other services are ignored',
      1,
      [t('a', 1), { ...t('x', 2), serviceId: 'other' }],
      { created: [], shutdown: [] },
    ],
  ])('%s', (_name, replicas, tasks, expected) => {
    const actions = reconcileReplicated({ service: service('web', { replicas }), tasks, now: 5, newId: counterIds() });
    expect(summary(actions)).toEqual(expected);
  });

  it('says why it shuts a task down', () => {
    const actions = reconcileReplicated({ service: service('web', { replicas: 1 }), tasks: [t('a', 1), t('b', 2)], now: 0 });
    expect(actions).toEqual([{ type: 'shutdown', taskId: 'b', reason: 'scaled down to 1 replica' }]);
  });

  it('is idempotent once its actions are applied', () => {
    const svc = service('web', { replicas: 4 });
    const created = reconcileReplicated({ service: svc, tasks: [t('a', 2)], now: 0, newId: counterIds() })
      .flatMap((a) => (a.type === 'create' ? [a.task] : []));
    expect(created.map((c) => c.slot)).toEqual([1, 3, 4]);
    expect(reconcileReplicated({ service: svc, tasks: [t('a', 2), ...created], now: 0 })).toEqual([]);
  });
});
