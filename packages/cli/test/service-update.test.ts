import { Service, TaskState, UpdateFailureAction, UpdateOrder, UpdateState, type ServiceSpec, type Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { applyUpdateFlags, type ServiceUpdateOptions } from '../src/commands/service-update-flags.js';
import { updateProgressOf } from '../src/commands/service-update.js';
import { formatServicePretty } from '../src/commands/service.js';

const none: ServiceUpdateOptions = { envAdd: [], envRm: [], constraintAdd: [], constraintRm: [], labelAdd: [], labelRm: [] };

function current(): ServiceSpec {
  return Service.fromPartial({
    spec: {
      annotations: { name: 'web', labels: { team: 'a' } },
      replicas: 4,
      task: {
        container: { image: 'flotilla/busybox:latest', args: ['sleep', '1000'], env: ['A=1', 'B=2'] },
        placement: { constraints: ['node.role==worker'] },
      },
    },
  }).spec!;
}

describe('applyUpdateFlags', () => {
  it.each([
    { flags: { image: 'other:1' }, check: (s: ServiceSpec) => expect(s.task?.container?.image).toBe('other:1') },
    { flags: { args: 'sleep  2000' }, check: (s: ServiceSpec) => expect(s.task?.container?.args).toEqual(['sleep', '2000']) },
    { flags: { envAdd: ['A=9', 'C=3'], envRm: ['B'] }, check: (s: ServiceSpec) => expect(s.task?.container?.env).toEqual(['A=9', 'C=3']) },
    { flags: { replicas: '6' }, check: (s: ServiceSpec) => expect(s.replicas).toBe(6) },
    {
      flags: { constraintAdd: ['node.labels.ssd==true'], constraintRm: ['node.role==worker'] },
      check: (s: ServiceSpec) => expect(s.task?.placement?.constraints).toEqual(['node.labels.ssd==true']),
    },
    { flags: { labelAdd: ['tier=web'], labelRm: ['team'] }, check: (s: ServiceSpec) => expect(s.annotations?.labels).toEqual({ tier: 'web' }) },
    { flags: { force: true }, check: (s: ServiceSpec) => expect(s.task?.forceUpdate).toBe(1) },
    {
      flags: { updateParallelism: '2', updateDelay: '1s', updateOrder: 'start-first', updateFailureAction: 'rollback', updateMonitor: '2s', updateMaxFailureRatio: '0.25' },
      check: (s: ServiceSpec) =>
        expect(s.update).toEqual({ parallelism: 2, delayMs: 1000, order: UpdateOrder.UPDATE_ORDER_START_FIRST, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK, monitorMs: 2000, maxFailureRatio: 0.25 }),
    },
    { flags: { rollbackParallelism: '0', rollbackFailureAction: 'continue' }, check: (s: ServiceSpec) => expect(s.rollback).toMatchObject({ parallelism: 0, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE }) },
  ])('$flags', ({ flags, check }) => {
    const before = current();
    check(applyUpdateFlags(before, { ...none, ...flags }));
    expect(before).toEqual(current()); // the spec read is not changed in place
  });

  it('changes nothing but the update defaults without flags', () => {
    const next = applyUpdateFlags(current(), none);
    expect({ ...next, update: undefined, rollback: undefined }).toEqual({ ...current(), update: undefined, rollback: undefined });
  });

  it.each([
    { flags: { replicas: 'x' }, error: 'invalid argument "x" for "--replicas" flag: expected a whole number' },
    { flags: { updateOrder: 'sideways' }, error: 'invalid argument "sideways" for "--update-order" flag: expected stop-first, start-first' },
    { flags: { updateFailureAction: 'explode' }, error: 'invalid argument "explode" for "--update-failure-action" flag: expected pause, continue, rollback' },
    { flags: { rollbackFailureAction: 'rollback' }, error: 'invalid argument "rollback" for "--rollback-failure-action" flag: expected pause, continue' },
    { flags: { updateMaxFailureRatio: '1.5' }, error: 'expected a number between 0 and 1' },
    { flags: { updateDelay: 'soon' }, error: 'invalid argument "soon" for "--update-delay" flag' },
  ])('refuses $flags', ({ flags, error }) => {
    expect(() => applyUpdateFlags(current(), { ...none, ...flags })).toThrow(error);
  });
});

describe('update progress and inspect', () => {
  it('counts live running tasks on the current spec', () => {
    const spec = current();
    const svc = Service.fromPartial({ id: 's', spec, updateStatus: { state: UpdateState.UPDATE_STATE_UPDATING, message: 'update in progress' } });
    const onSpec = (id: string, state: TaskState, t = spec.task): Task =>
      ({ id, spec: t, desiredState: TaskState.TASK_STATE_RUNNING, status: { state } }) as Task;
    const old = { ...spec.task!, container: { ...spec.task!.container!, args: ['old'] } };
    const p = updateProgressOf(svc, [onSpec('a', TaskState.TASK_STATE_RUNNING), onSpec('b', TaskState.TASK_STATE_STARTING), onSpec('c', TaskState.TASK_STATE_RUNNING, old)]);
    expect(p).toEqual({ updated: 1, desired: 4, state: UpdateState.UPDATE_STATE_UPDATING, message: 'update in progress' });
  });

  it('inspect --pretty shows the update status', () => {
    const svc = Service.fromPartial({ id: 's', spec: current(), updateStatus: { state: UpdateState.UPDATE_STATE_PAUSED, startedAt: 0, message: 'update paused due to failure of task web.1.x' } });
    const text = formatServicePretty({ service: svc, runningTasks: 2, desiredTasks: 4, completedTasks: 0 });
    expect(text).toContain('UpdateStatus:');
    expect(text).toMatch(/State:\s+paused/);
    expect(text).toMatch(/Message:\s+update paused due to failure of task web.1.x/);
  });
});
