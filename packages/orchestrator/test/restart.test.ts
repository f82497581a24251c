import { describe, expect, it } from 'vitest';
import { NodeAvailability, NodeState, RestartCondition, ServiceMode, TaskState, type Task } from '@flotilla/api';
import { decideRestart, type RestartDecision } from '../src/restart/supervisor.js';
import { restartActions } from '../src/restart/actions.js';
import { delayedStartAt } from '../src/restart/start-at.js';
import { apply } from './apply.js';
import { counterIds, node, service, task, type TaskOptions } from './fixtures.js';

const { TASK_STATE_FAILED: FAILED, TASK_STATE_COMPLETE: COMPLETE, TASK_STATE_REJECTED: REJECTED,
  TASK_STATE_SHUTDOWN: SHUTDOWN, TASK_STATE_RUNNING: RUNNING } = TaskState;
const { RESTART_CONDITION_ANY: ANY, RESTART_CONDITION_NONE: NONE, RESTART_CONDITION_ON_FAILURE: ON_FAILURE } = RestartCondition;
const SEC = 1000;

const ended = (id: string, o: TaskOptions = {}): Task =>
  task(id, { slot: 1, state: FAILED, exitCode: 1, createdAt: 0, endedAt: 1 * SEC, ...o });

describe('decideRestart: condition and state', () => {
  it.each<[string, Task, RestartDecision['kind'], RegExp]>([
    ['still running', ended('t', { state: RUNNING }), 'no-action', /has not ended/],
    ['already let go', ended('t', { desiredState: SHUTDOWN }), 'no-action', /already shut down/],
    ['any + failed', ended('t'), 'restart-now', /^task t failed with exit code 1; restarting$/],
    ['any + completed', ended('t', { state: COMPLETE, exitCode: 0 }), 'restart-now', /completed; restarting/],
    ['any + rejected', ended('t', { state: REJECTED }), 'restart-now', /was rejected; restarting/],
    ['any + shut down behind our back', ended('t', { state: SHUTDOWN }), 'restart-now', /shut down; restarting/],
    ['none + failed', ended('t', { restart: { condition: NONE } }), 'give-up', /failed with exit code 1; restart condition is none$/],
    ['none + completed', ended('t', { state: COMPLETE, restart: { condition: NONE } }), 'give-up', /condition is none/],
    ['on-failure + exit 0', ended('t', { state: COMPLETE, exitCode: 0, restart: { condition: ON_FAILURE } }), 'give-up', /^task t completed; restart condition is on-failure$/],
    ['on-failure + failed', ended('t', { restart: { condition: ON_FAILURE } }), 'restart-now', /restarting/],
    ['on-failure + rejected', ended('t', { state: REJECTED, restart: { condition: ON_FAILURE } }), 'restart-now', /restarting/],
  ])('%s -> %s', (_name, t, kind, reason) => {
    const d = decideRestart({ task: t, history: [t], now: 2 * SEC });
    expect(d.kind).toBe(kind);
    expect(d.reason).toMatch(reason);
  });
});

describe('decideRestart: delay', () => {
  const t = ended('t', { endedAt: 10 * SEC, restart: { condition: ANY, delayMs: 5 * SEC } });

  it.each<[number, RestartDecision]>([
    [10 * SEC, { kind: 'restart-at', at: 15 * SEC, reason: 'task t failed with exit code 1; restarting after 5s' }],
    [14 * SEC, { kind: 'restart-at', at: 15 * SEC, reason: 'task t failed with exit code 1; restarting after 5s' }],
    [15 * SEC, { kind: 'restart-now', reason: 'task t failed with exit code 1; restarting' }],
    [60 * SEC, { kind: 'restart-now', reason: 'task t failed with exit code 1; restarting' }],
  ])('seen at %i ms', (now, decision) => {
    expect(decideRestart({ task: t, history: [t], now })).toEqual(decision);
  });

  it('does not delay a task whose node is drained', () => {
    const drained = node('n1', { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN });
    expect(decideRestart({ task: t, history: [t], now: 10 * SEC, node: drained }).kind).toBe('restart-now');
    expect(decideRestart({ task: t, history: [t], now: 10 * SEC, node: node('n1') }).kind).toBe('restart-at');
  });
});

describe('decideRestart: max attempts', () => {
  const policy = { condition: ANY, maxAttempts: 3 };
  // One slot's life: the original task a, then restarts b, c, d, each created
  // at the second its predecessor ended.
  const life = [
    ended('a', { createdAt: 0, endedAt: 1 * SEC, restart: policy }),
    ended('b', { createdAt: 1 * SEC, endedAt: 2 * SEC, restart: policy }),
    ended('c', { createdAt: 2 * SEC, endedAt: 3 * SEC, restart: policy }),
    ended('d', { createdAt: 3 * SEC, endedAt: 4 * SEC, restart: policy }),
  ];

  it.each<[number, RestartDecision['kind'], RegExp]>([
    [0, 'restart-now', /attempt 1 of 3/],
    [1, 'restart-now', /attempt 2 of 3/],
    [2, 'restart-now', /attempt 3 of 3/],
    [3, 'give-up', /reached the maximum of 3 restart attempts$/],
  ])('after task %i of the slot ends -> %s', (i, kind, reason) => {
    const t = life[i]!;
    const d = decideRestart({ task: t, history: life.slice(0, i + 1), now: 10 * SEC });
    expect(d.kind).toBe(kind);
    expect(d.reason).toMatch(reason);
  });

  it('a new spec version starts the count afresh', () => {
    const updated = ended('e', { createdAt: 5 * SEC, endedAt: 6 * SEC, specVersion: 2, restart: policy });
    expect(decideRestart({ task: updated, history: [...life, updated], now: 10 * SEC }).kind).toBe('restart-now');
  });

  it('tasks of other services in the history do not count', () => {
    const others = [1, 2, 3].map((i) => ended(`x${i}`, { serviceId: 'other', createdAt: i * SEC, restart: policy }));
    expect(decideRestart({ task: life[0]!, history: [life[0]!, ...others], now: 10 * SEC }).kind).toBe('restart-now');
  });

  it('only restarts inside the window count', () => {
    const windowed = { condition: ANY, maxAttempts: 2, windowMs: 60 * SEC };
    const slot = [
      ended('a', { createdAt: 0, endedAt: 5 * SEC, restart: windowed }),
      ended('b', { createdAt: 5 * SEC, endedAt: 10 * SEC, restart: windowed }),
      ended('c', { createdAt: 10 * SEC, endedAt: 100 * SEC, restart: windowed }),
      ended('d', { createdAt: 100 * SEC, endedAt: 110 * SEC, restart: windowed }),
    ];
    // c ends at 100s: the window is (40s, 100s]; restarts b (5s) and c (10s) lie before it.
    expect(decideRestart({ task: slot[2]!, history: slot.slice(0, 3), now: 100 * SEC })).toMatchObject({
      kind: 'restart-now',
      reason: expect.stringMatching(/attempt 1 of 2 within 1m0s/),
    });
    // b ends at 10s: b (5s) is inside (-50s, 10s], a is the original: 1 restart so far.
    expect(decideRestart({ task: slot[1]!, history: slot.slice(0, 2), now: 10 * SEC }).kind).toBe('restart-now');
    // d ends at 110s: only d (100s) is in (50s, 110s].
    expect(decideRestart({ task: slot[3]!, history: slot, now: 110 * SEC }).kind).toBe('restart-now');
    // A burst: b and c restarted within a second of each other, both inside the window.
    const burst = [
      ended('a', { createdAt: 0, endedAt: 1 * SEC, restart: windowed }),
      ended('b', { createdAt: 1 * SEC, endedAt: 2 * SEC, restart: windowed }),
      ended('c', { createdAt: 2 * SEC, endedAt: 3 * SEC, restart: windowed }),
    ];
    expect(decideRestart({ task: burst[2]!, history: burst, now: 3 * SEC })).toMatchObject({
      kind: 'give-up',
      reason: expect.stringMatching(/reached the maximum of 2 restart attempts within 1m0s$/),
    });
  });

  it('a slot that keeps failing is restarted exactly maxAttempts times', () => {
    const svc = service('web', { replicas: 1, restart: policy });
    const ids = counterIds('t');
    let tasks: Task[] = [task('t-0', { slot: 1, restart: policy })];
    let now = 0;
    let restarts = 0;
    for (;;) {
      now += SEC;
      const live = tasks.find((t) => t.desiredState === RUNNING)!;
      const failed: Task = { ...live, status: { ...live.status!, state: FAILED, timestamp: now } };
      tasks = tasks.map((t) => (t.id === live.id ? failed : t));
      const decision = decideRestart({ task: failed, history: tasks, now });
      tasks = apply(tasks, restartActions({ decision, service: svc, task: failed, now, newId: ids }));
      if (decision.kind === 'give-up') break;
      restarts += 1;
      expect(restarts).toBeLessThanOrEqual(3);
    }
    expect(restarts).toBe(3);
    expect(tasks.map((t) => [t.id, t.desiredState])).toEqual([
      ['t-0', SHUTDOWN], ['t-1', SHUTDOWN], ['t-2', SHUTDOWN], ['t-3', SHUTDOWN],
    ]);
  });
});

describe('restartActions', () => {
  const replicated = service('web', { replicas: 2, specVersion: 4 });
  const global = service('web', { mode: ServiceMode.SERVICE_MODE_GLOBAL });
  const old = ended('old', { slot: 2, nodeId: 'n1' });

  it('restart now: shuts the old task down and creates a RUNNING replacement for the same slot, unassigned', () => {
    const actions = restartActions({ decision: { kind: 'restart-now', reason: 'r' }, service: replicated, task: old, now: 50, newId: counterIds() });
    expect(actions[0]).toEqual({ type: 'shutdown', taskId: 'old', reason: 'r' });
    expect(actions[1]).toMatchObject({
      type: 'create',
      task: { id: 'id-1', slot: 2, nodeId: '', desiredState: RUNNING, specVersion: 4, status: { state: TaskState.TASK_STATE_NEW } },
    });
    expect(actions[1]).not.toHaveProperty('startAt');
  });

  it('restart later: the replacement holds the slot in READY and carries its start time', () => {
    const actions = restartActions({ decision: { kind: 'restart-at', at: 999, reason: 'r' }, service: replicated, task: old, now: 50 });
    expect(actions[1]).toMatchObject({ type: 'create', startAt: 999, task: { desiredState: TaskState.TASK_STATE_READY, slot: 2 } });
  });

  it('a global task restarts on its own node', () => {
    const g = ended('g', { slot: 0, nodeId: 'n7', serviceId: 'web' });
    const actions = restartActions({ decision: { kind: 'restart-now', reason: 'r' }, service: global, task: g, now: 0 });
    expect(actions[1]).toMatchObject({ type: 'create', task: { slot: 0, nodeId: 'n7' } });
  });

  it('giving up only shuts the old task down; no action writes nothing', () => {
    expect(restartActions({ decision: { kind: 'give-up', reason: 'why' }, service: replicated, task: old, now: 0 })).toEqual([
      { type: 'shutdown', taskId: 'old', reason: 'why' },
    ]);
    expect(restartActions({ decision: { kind: 'no-action', reason: 'x' }, service: replicated, task: old, now: 0 })).toEqual([]);
  });
});

describe('restartActions for a global task whose node cannot take it', () => {
  const global = service('mon', { mode: ServiceMode.SERVICE_MODE_GLOBAL });
  const g = ended('g', { slot: 0, nodeId: 'n1', serviceId: 'mon' });

  it.each([
    ['down', node('n1', { state: NodeState.NODE_STATE_DOWN }), /; not restarting: node n1 is down$/],
    ['drained', node('n1', { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN }), /; not restarting: node n1 is drained$/],
  ])('%s: only the old task is shut down', (_name, n, reason) => {
    const actions = restartActions({ decision: { kind: 'restart-now', reason: 'r' }, service: global, task: g, now: 0, node: n });
    expect(actions).toEqual([{ type: 'shutdown', taskId: 'g', reason: expect.stringMatching(reason) }]);
  });

  it('a ready node gets the replacement', () => {
    const actions = restartActions({ decision: { kind: 'restart-now', reason: 'r' }, service: global, task: g, now: 0, node: node('n1') });
    expect(actions.map((a) => a.type)).toEqual(['shutdown', 'create']);
  });
});

describe('delayedStartAt', () => {
  const svc = service('web', { replicas: 1, restart: { delayMs: 5 * SEC } });
  const old = ended('old', { slot: 1, createdAt: 0, endedAt: 10 * SEC, desiredState: SHUTDOWN });

  it('rebuilds the start time of a delayed replacement from its predecessor', () => {
    const [, create] = restartActions({ decision: { kind: 'restart-at', at: 15 * SEC, reason: 'r' }, service: svc, task: { ...old, desiredState: RUNNING }, now: 11 * SEC });
    if (create?.type !== 'create') throw new Error('expected a create action');
    expect(delayedStartAt(create.task, [old, create.task])).toBe(15 * SEC);
    expect(create.startAt).toBe(15 * SEC);
  });

  it('is undefined for a task that is not waiting, or has no predecessor', () => {
    const running = task('r', { slot: 1, createdAt: 20 * SEC });
    expect(delayedStartAt(running, [old, running])).toBeUndefined();
    const orphan = task('o', { slot: 1, createdAt: 20 * SEC, desiredState: TaskState.TASK_STATE_READY });
    expect(delayedStartAt(orphan, [orphan])).toBeUndefined();
  });
});
