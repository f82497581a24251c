import { DependencyCondition, Service, ServiceMode, Task, TaskState } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { dependencyVerdict } from '../src/index.js';

const svc = (id: string, o: { replicas?: number; global?: boolean; deps?: Array<[string, DependencyCondition]>; releasedAt?: number; specVersion?: number } = {}): Service =>
  Service.fromPartial({
    id,
    specVersion: o.specVersion ?? 1,
    spec: {
      annotations: { name: id },
      mode: o.global ? ServiceMode.SERVICE_MODE_GLOBAL : ServiceMode.SERVICE_MODE_REPLICATED,
      replicas: o.replicas ?? 1,
      dependsOn: (o.deps ?? []).map(([service, condition]) => ({ service, condition })),
    },
    ...(o.releasedAt ? { dependencies: { releasedAt: o.releasedAt, waitingFor: '' } } : {}),
  });

const task = (serviceId: string, slot: number, state: TaskState, o: { desired?: TaskState; nodeId?: string; specVersion?: number } = {}): Task =>
  Task.fromPartial({ id: `${serviceId}-${slot}-${state}-${o.nodeId ?? ''}`, serviceId, slot, nodeId: o.nodeId ?? '', specVersion: o.specVersion ?? 1, desiredState: o.desired ?? TaskState.TASK_STATE_RUNNING, status: { state } });

function verdict(service: Service, services: Service[], tasks: Task[]) {
  return dependencyVerdict(service, { service: (n) => services.find((s) => s.spec?.annotations?.name === n), tasks: (id) => tasks.filter((t) => t.serviceId === id) });
}

const H = DependencyCondition.DEPENDENCY_CONDITION_HEALTHY;
const S = DependencyCondition.DEPENDENCY_CONDITION_STARTED;
const C = DependencyCondition.DEPENDENCY_CONDITION_COMPLETED;

describe('depends_on holds a service until its dependencies are met', () => {
  it('no dependencies: never held, nothing to record', () => {
    expect(verdict(svc('web'), [], [])).toEqual({ held: false, release: false });
  });

  it('service_healthy waits for every replica RUNNING (healthy), then releases once', () => {
    const db = svc('db', { replicas: 2 });
    const web = svc('web', { deps: [['db', H]] });
    expect(verdict(web, [db], [task('db', 1, TaskState.TASK_STATE_STARTING)])).toEqual({ held: true, waitingFor: 'db to be healthy (0/2 running healthy)' });
    expect(verdict(web, [db], [task('db', 1, TaskState.TASK_STATE_RUNNING), task('db', 2, TaskState.TASK_STATE_STARTING)])).toEqual({ held: true, waitingFor: 'db to be healthy (1/2 running healthy)' });
    expect(verdict(web, [db], [task('db', 1, TaskState.TASK_STATE_RUNNING), task('db', 2, TaskState.TASK_STATE_RUNNING)])).toEqual({ held: false, release: true });
    // Released once: a dependency failing later never holds it again.
    expect(verdict(svc('web', { deps: [['db', H]], releasedAt: 5 }), [db], [])).toEqual({ held: false, release: false });
  });

  it('a RUNNING task being shut down does not count as healthy; an old spec version does not either', () => {
    const db = svc('db', { specVersion: 2 });
    const web = svc('web', { deps: [['db', H]] });
    expect(verdict(web, [db], [task('db', 1, TaskState.TASK_STATE_RUNNING, { desired: TaskState.TASK_STATE_SHUTDOWN, specVersion: 2 })]).held).toBe(true);
    expect(verdict(web, [db], [task('db', 1, TaskState.TASK_STATE_RUNNING, { specVersion: 1 })]).held).toBe(true);
  });

  it('service_started counts STARTING; service_completed_successfully needs COMPLETE', () => {
    const db = svc('db');
    expect(verdict(svc('web', { deps: [['db', S]] }), [db], [task('db', 1, TaskState.TASK_STATE_STARTING)])).toEqual({ held: false, release: true });
    const migrate = svc('migrate');
    const app = svc('app', { deps: [['migrate', C]] });
    expect(verdict(app, [migrate], [task('migrate', 1, TaskState.TASK_STATE_RUNNING)])).toEqual({ held: true, waitingFor: 'migrate to complete successfully (0/1 completed)' });
    expect(verdict(app, [migrate], [task('migrate', 1, TaskState.TASK_STATE_FAILED)]).held).toBe(true);
    expect(verdict(app, [migrate], [task('migrate', 1, TaskState.TASK_STATE_COMPLETE, { desired: TaskState.TASK_STATE_SHUTDOWN })])).toEqual({ held: false, release: true });
  });

  it('a global dependency needs a task on each of its nodes; a missing dependency holds', () => {
    const agent = svc('agent', { global: true });
    const web = svc('web', { deps: [['agent', S], ['cache', S]] });
    const tasks = [task('agent', 0, TaskState.TASK_STATE_RUNNING, { nodeId: 'n1' }), task('agent', 0, TaskState.TASK_STATE_ASSIGNED, { nodeId: 'n2' })];
    expect(verdict(web, [agent], tasks)).toEqual({ held: true, waitingFor: 'agent to start (1/2 started), cache to exist' });
    expect(verdict(svc('web', { deps: [['agent', S]] }), [agent], [])).toEqual({ held: true, waitingFor: 'agent to start (0/0 started)' });
  });

  it('a dependency scaled to 0 is met; a service that already has tasks is let go', () => {
    expect(verdict(svc('web', { deps: [['db', H]] }), [svc('db', { replicas: 0 })], [])).toEqual({ held: false, release: true });
    expect(verdict(svc('web', { deps: [['db', H]] }), [svc('db')], [task('web', 1, TaskState.TASK_STATE_RUNNING)])).toEqual({ held: false, release: true });
  });
});
