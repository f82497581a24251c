// Flags of jobs and placement (issue 18 domain half): syntax here, spec rules in @flotilla/api.
import { describe, expect, it } from 'vitest';
import { Service, ServiceMode, Task, TaskState, validateServiceSpec } from '@flotilla/api';
import { serviceSpecFromFlags, type ServiceCreateOptions } from '../src/commands/service-flags.js';
import { applyUpdateFlags } from '../src/commands/service-update-flags.js';
import { progressOf } from '../src/commands/service-progress.js';

const base: ServiceCreateOptions = { constraint: [], env: [], label: [], containerLabel: [], mount: [] };
const noUpdates = { envAdd: [], envRm: [], constraintAdd: [], constraintRm: [], labelAdd: [], labelRm: [] };
const create = (o: Partial<ServiceCreateOptions>) => validateServiceSpec(serviceSpecFromFlags({ ...base, name: 'j', ...o }, 'img', []));

describe('service create: job and placement flags', () => {
  it('--mode replicated-job with --replicas as completions and --max-concurrent', () => {
    const spec = create({ mode: 'replicated-job', replicas: '5', maxConcurrent: '2' });
    expect([spec.mode, spec.replicas, spec.maxConcurrent]).toEqual([ServiceMode.SERVICE_MODE_REPLICATED_JOB, 5, 2]);
    const defaults = create({ mode: 'replicated-job' });
    expect([defaults.replicas, defaults.maxConcurrent]).toEqual([1, 1]);
  });

  it('--mode global-job, and the refusals docker gives', () => {
    expect(create({ mode: 'global-job' }).mode).toBe(ServiceMode.SERVICE_MODE_GLOBAL_JOB);
    expect(() => create({ mode: 'global-job', replicas: '2' })).toThrow('replicas can only be used with replicated or replicated-job mode');
    expect(() => create({ maxConcurrent: '2' })).toThrow('--max-concurrent can only be used with replicated-job mode');
    expect(() => create({ mode: 'batch' })).toThrow('invalid argument "batch" for "--mode" flag: expected replicated, global, replicated-job or global-job');
  });

  it('--placement-pref (repeatable, in order) and --replicas-max-per-node', () => {
    const spec = create({ placementPref: ['spread=node.labels.zone', 'spread=node.labels.rack'], replicasMaxPerNode: '2' });
    expect(spec.task?.placement).toEqual({ constraints: [], preferences: [{ spread: 'node.labels.zone' }, { spread: 'node.labels.rack' }], maxReplicas: 2 });
    expect(() => create({ placementPref: ['binpack=node.labels.zone'] })).toThrow('unsupported placement preference binpack (only spread is supported)');
    expect(() => create({ placementPref: ['node.labels.zone'] })).toThrow('expected strategy=descriptor');
    expect(() => create({ replicasMaxPerNode: 'x' })).toThrow('invalid argument "x" for "--replicas-max-per-node" flag');
    expect(() => create({ placementPref: ['spread=node.id'] })).toThrow('must be node.labels.<name> or engine.labels.<name>');
  });
});

describe('service update: placement flags', () => {
  it('--placement-pref-rm then --placement-pref-add, --replicas-max-per-node, --max-concurrent', () => {
    const spec = create({ placementPref: ['spread=node.labels.zone', 'spread=node.labels.rack'] });
    const next = applyUpdateFlags(spec, { ...noUpdates, placementPrefRm: ['spread=node.labels.zone'], placementPrefAdd: ['spread=engine.labels.dc'], replicasMaxPerNode: '1' });
    expect(next.task?.placement?.preferences).toEqual([{ spread: 'node.labels.rack' }, { spread: 'engine.labels.dc' }]);
    expect(next.task?.placement?.maxReplicas).toBe(1);
    expect(spec.task?.placement?.preferences).toHaveLength(2); // the current spec is not changed
    const job = create({ mode: 'replicated-job', replicas: '4' });
    expect(applyUpdateFlags(job, { ...noUpdates, maxConcurrent: '3' }).maxConcurrent).toBe(3);
    expect(() => applyUpdateFlags(spec, { ...noUpdates, maxConcurrent: '3' })).toThrow('--max-concurrent can only be used with replicated-job mode');
  });
});

describe('job progress (service create waits for the job to finish)', () => {
  const svc = Service.fromPartial({ id: 's', spec: { annotations: { name: 'j', labels: {} }, mode: ServiceMode.SERVICE_MODE_REPLICATED_JOB, replicas: 2 } });
  const t = (id: string, slot: number, state: TaskState, desired: TaskState, createdAt = 1) =>
    Task.fromPartial({ id, slot, serviceId: 's', desiredState: desired, status: { state, err: state === TaskState.TASK_STATE_FAILED ? 'exit 3' : '' }, meta: { createdAt } });
  it('converges once every completion is in', () => {
    const half = progressOf(svc, [t('a', 1, TaskState.TASK_STATE_COMPLETE, TaskState.TASK_STATE_COMPLETE), t('b', 2, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_RUNNING)]);
    expect([half.running, half.desired, half.converged]).toEqual([1, 2, false]);
    const done = progressOf(svc, [t('a', 1, TaskState.TASK_STATE_COMPLETE, TaskState.TASK_STATE_COMPLETE), t('b', 2, TaskState.TASK_STATE_COMPLETE, TaskState.TASK_STATE_COMPLETE)]);
    expect([done.running, done.desired, done.converged, done.slots.map((s) => s.state)]).toEqual([2, 2, true, ['complete', 'complete']]);
  });
  it('ends with the error of a task that failed for good, not while it is restarted', () => {
    const restarting = progressOf(svc, [t('a', 1, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_SHUTDOWN, 1), t('a2', 1, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_RUNNING, 2)]);
    expect(restarting.failure).toBeUndefined();
    const gaveUp = progressOf(svc, [t('a', 1, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_SHUTDOWN)]);
    expect(gaveUp.failure).toBe('task j.1 failed: exit 3');
  });
});
