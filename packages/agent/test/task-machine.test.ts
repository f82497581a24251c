import { Task, TaskState } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { newRecord, step, UNHEALTHY_ERR, type TaskAction, type TaskEvent, type TaskRecord } from '../src/index.js';

const S = TaskState;
const task = (desiredState = S.TASK_STATE_RUNNING): Task =>
  Task.fromPartial({ id: 't1', nodeId: 'n1', desiredState, status: { state: S.TASK_STATE_ASSIGNED }, spec: { container: { image: 'img' } } });

/** Runs events in order; returns the final record and every action, reports as their state. */
function run(rec: TaskRecord, ...events: TaskEvent[]): { rec: TaskRecord; actions: string[] } {
  const actions: string[] = [];
  for (const e of events) {
    const s = step(rec, e, 1000);
    rec = s.record;
    actions.push(...s.actions.map(show));
  }
  return { rec, actions };
}

const show = (a: TaskAction): string => (a.kind === 'report' ? `report ${a.status.state.replace('TASK_STATE_', '')}${a.status.err ? ` (${a.status.err})` : ''}` : a.kind);

const runningRecord = () => run(newRecord(task()), { kind: 'assigned', task: task() }, { kind: 'created', containerId: 'c1', healthCheck: false }, { kind: 'started' }).rec;

describe('task state machine', () => {
  it('takes a new assignment through ACCEPTED, PREPARING, STARTING to RUNNING', () => {
    const { rec, actions } = run(newRecord(task()), { kind: 'assigned', task: task() }, { kind: 'created', containerId: 'c1', healthCheck: false }, { kind: 'started' });
    expect(actions).toEqual(['report ACCEPTED', 'report PREPARING', 'create', 'report STARTING', 'start', 'report RUNNING', 'wait']);
    expect(rec).toMatchObject({ state: S.TASK_STATE_RUNNING, containerId: 'c1', running: true, waiting: true, pending: undefined });
  });

  it('prepares a task wanted READY (a delayed restart) and starts it only once it is wanted RUNNING', () => {
    const ready = task(S.TASK_STATE_READY);
    const held = run(newRecord(ready), { kind: 'assigned', task: ready }, { kind: 'created', containerId: 'c1', healthCheck: false }, { kind: 'assigned', task: ready });
    expect(held.actions).toEqual(['report ACCEPTED', 'report PREPARING', 'create', 'report READY']);
    expect(held.rec).toMatchObject({ state: S.TASK_STATE_READY, containerId: 'c1', running: false, pending: undefined });
    const go = run(held.rec, { kind: 'assigned', task: task() }, { kind: 'started' });
    expect(go.actions).toEqual(['report STARTING', 'start', 'report RUNNING', 'wait']);
    // Shut down while it waits: the created container is removed, never started.
    expect(run(held.rec, { kind: 'assigned', task: task(S.TASK_STATE_SHUTDOWN) }, { kind: 'removed' }).actions).toEqual(['remove', 'report SHUTDOWN']);
  });

  it('ends COMPLETE on exit 0 and FAILED with docker\'s message otherwise, keeping the container', () => {
    expect(run(runningRecord(), { kind: 'exited', containerId: 'c1', exitCode: 0 }).actions).toEqual(['report COMPLETE']);
    const failed = run(runningRecord(), { kind: 'exited', containerId: 'c1', exitCode: 137 });
    expect(failed.actions).toEqual(['report FAILED (task: non-zero exit (137))']);
    expect(failed.rec).toMatchObject({ containerId: 'c1', exitCode: 137, running: false });
    // an exit of a container the record no longer owns changes nothing
    expect(run(runningRecord(), { kind: 'exited', containerId: 'other', exitCode: 1 }).actions).toEqual([]);
  });

  it('stops with grace, reports SHUTDOWN, then removes when the desired state moves to SHUTDOWN', () => {
    const down = task(S.TASK_STATE_SHUTDOWN);
    const { rec, actions } = run(runningRecord(), { kind: 'assigned', task: down }, { kind: 'exited', containerId: 'c1', exitCode: 143 }, { kind: 'stopped' }, { kind: 'removed' });
    expect(actions).toEqual(['stop', 'report SHUTDOWN', 'remove']);
    expect(rec).toMatchObject({ state: S.TASK_STATE_SHUTDOWN, containerId: '' });
  });

  it('waits for an in-flight create before removing, when shut down during PREPARING', () => {
    const down = task(S.TASK_STATE_SHUTDOWN);
    const { actions } = run(newRecord(task()), { kind: 'assigned', task: task() }, { kind: 'assigned', task: down }, { kind: 'created', containerId: 'c1', healthCheck: false }, { kind: 'removed' });
    expect(actions).toEqual(['report ACCEPTED', 'report PREPARING', 'create', 'remove', 'report SHUTDOWN']);
  });

  it('rejects a task whose container cannot be created, once, without retrying', () => {
    const { rec, actions } = run(newRecord(task()), { kind: 'assigned', task: task() }, { kind: 'createFailed', error: 'image x not found' }, { kind: 'assigned', task: task() });
    expect(actions).toEqual(['report ACCEPTED', 'report PREPARING', 'create', 'report REJECTED (image x not found)']);
    expect(rec.state).toBe(S.TASK_STATE_REJECTED);
  });

  it('stops, removes and forgets a task that left the node', () => {
    expect(run(runningRecord(), { kind: 'unassigned' }, { kind: 'stopped' }, { kind: 'removed' }).actions).toEqual(['stop', 'remove', 'forget']);
    const ended = run(runningRecord(), { kind: 'exited', containerId: 'c1', exitCode: 0 }).rec;
    expect(run(ended, { kind: 'unassigned' }, { kind: 'removed' }).actions).toEqual(['remove', 'forget']);
  });

  it('after a restart re-adopts a running container and waits on it, without creating another', () => {
    const restored = { ...newRecord(task()), state: S.TASK_STATE_RUNNING, containerId: 'c1' };
    const { rec, actions } = run(restored, { kind: 'found', container: { id: 'c1', running: true, exitCode: 0, health: 'none' } }, { kind: 'assigned', task: task() });
    expect(actions).toEqual(['wait']);
    expect(rec).toMatchObject({ state: S.TASK_STATE_RUNNING, containerId: 'c1', waiting: true });
  });

  it('after a restart reports what happened while the agent was away', () => {
    const restored = { ...newRecord(task()), state: S.TASK_STATE_RUNNING, containerId: 'c1' };
    expect(run(restored, { kind: 'found', container: { id: 'c1', running: false, exitCode: 2, health: 'none' } }).actions).toEqual(['report FAILED (task: non-zero exit (2))']);
    expect(run(restored, { kind: 'found', container: undefined }).actions).toEqual(['report FAILED (task: its container disappeared while the agent was down)']);
    // a record that never got a container is simply driven on
    const preparing = { ...newRecord(task()), state: S.TASK_STATE_PREPARING };
    expect(run(preparing, { kind: 'found', container: undefined }).actions).toEqual(['create']);
    // a container that exists for a task the store still calls ASSIGNED is started, not created again
    expect(run(newRecord(task()), { kind: 'found', container: { id: 'c9', running: false, exitCode: 0, health: 'none' } }).actions).toEqual(['report PREPARING', 'report STARTING', 'start']);
  });
});

describe('task state machine with a health check', () => {
  const starting = () =>
    run(newRecord(task()), { kind: 'assigned', task: task() }, { kind: 'created', containerId: 'c1', healthCheck: true }, { kind: 'started' });

  it('stays STARTING once started and moves to RUNNING only when the container is healthy', () => {
    const s = starting();
    expect(s.actions).toEqual(['report ACCEPTED', 'report PREPARING', 'create', 'report STARTING', 'start', 'checkHealth', 'wait']);
    expect(s.rec).toMatchObject({ state: S.TASK_STATE_STARTING, health: 'starting', running: true, waiting: true });
    const healthy = run(s.rec, { kind: 'health-healthy', containerId: 'c1' });
    expect(healthy.actions).toEqual(['report RUNNING']);
    expect(healthy.rec).toMatchObject({ state: S.TASK_STATE_RUNNING, health: 'healthy' });
    // news of another container changes nothing
    expect(run(s.rec, { kind: 'health-healthy', containerId: 'other' }).actions).toEqual([]);
  });

  it('takes a healthy report that came before the start call answered', () => {
    const created = run(newRecord(task()), { kind: 'assigned', task: task() }, { kind: 'created', containerId: 'c1', healthCheck: true }).rec;
    expect(run(created, { kind: 'health-healthy', containerId: 'c1' }, { kind: 'started' }).actions).toEqual(['report RUNNING', 'wait']);
  });

  it('stops an unhealthy container, running or still starting, then reports FAILED "unhealthy container" and keeps it', () => {
    const running = run(starting().rec, { kind: 'health-healthy', containerId: 'c1' }).rec;
    for (const rec of [running, starting().rec]) {
      const s = run(rec, { kind: 'health-unhealthy', containerId: 'c1' }, { kind: 'exited', containerId: 'c1', exitCode: 143 }, { kind: 'stopped' });
      expect(s.actions).toEqual(['stop', `report FAILED (${UNHEALTHY_ERR})`]);
      expect(s.rec).toMatchObject({ state: S.TASK_STATE_FAILED, err: 'unhealthy container', containerId: 'c1', running: false });
      // a later healthy report of the stopped container changes nothing
      expect(run(s.rec, { kind: 'health-healthy', containerId: 'c1' }).actions).toEqual([]);
    }
  });

  it('dates the FAILED report by when the container turned unhealthy, not by when its stop (grace period) ended', () => {
    const unhealthy = step(starting().rec, { kind: 'health-unhealthy', containerId: 'c1' }, 5_000);
    expect(unhealthy.actions).toEqual([{ kind: 'stop', containerId: 'c1' }]);
    const stopped = step(unhealthy.record, { kind: 'stopped' }, 15_000);
    expect(stopped.actions).toEqual([expect.objectContaining({ kind: 'report', status: expect.objectContaining({ state: S.TASK_STATE_FAILED, err: UNHEALTHY_ERR, timestamp: 5_000 }) })]);
    // A later unhealthy report of the same container does not move the time.
    const again = step(step(unhealthy.record, { kind: 'health-unhealthy', containerId: 'c1' }, 9_000).record, { kind: 'stopped' }, 15_000);
    expect(again.actions).toEqual([expect.objectContaining({ status: expect.objectContaining({ timestamp: 5_000 }) })]);
  });

  it('fails the task, with why, when the unhealthy container cannot be stopped, instead of retrying the stop', () => {
    const s = run(starting().rec, { kind: 'health-unhealthy', containerId: 'c1' }, { kind: 'opFailed', error: 'engine gone' });
    expect(s.actions).toEqual(['stop', `report FAILED (${UNHEALTHY_ERR} (stopping it failed: engine gone))`]);
    // once the task leaves the node, its container is stopped and removed as usual
    expect(run(s.rec, { kind: 'unassigned' }).actions).toEqual(['stop']);
  });

  it('ignores health reports for a container without a check', () => {
    const rec = runningRecord();
    expect(run(rec, { kind: 'health-unhealthy', containerId: 'c1' }).actions).toEqual([]);
  });

  it('reports the exit of a container that dies before it is healthy', () => {
    expect(run(starting().rec, { kind: 'exited', containerId: 'c1', exitCode: 3 }).actions).toEqual(['report FAILED (task: non-zero exit (3))']);
  });

  it('reports SHUTDOWN, not FAILED, when the task is shut down while it is unhealthy', () => {
    const s = run(starting().rec, { kind: 'health-unhealthy', containerId: 'c1' }, { kind: 'assigned', task: task(S.TASK_STATE_SHUTDOWN) }, { kind: 'stopped' });
    expect(s.actions).toEqual(['stop', 'report SHUTDOWN', 'remove']);
  });

  it('after a restart waits again for a container still starting, and fails one found unhealthy', () => {
    const restored = { ...newRecord(task()), state: S.TASK_STATE_STARTING, containerId: 'c1' };
    const waiting = run(restored, { kind: 'found', container: { id: 'c1', running: true, exitCode: 0, health: 'starting' } });
    expect(waiting.actions).toEqual(['wait']);
    expect(waiting.rec.state).toBe(S.TASK_STATE_STARTING);
    expect(run(waiting.rec, { kind: 'health-healthy', containerId: 'c1' }).actions).toEqual(['report RUNNING']);
    const sick = run({ ...restored, state: S.TASK_STATE_RUNNING }, { kind: 'found', container: { id: 'c1', running: true, exitCode: 0, health: 'unhealthy' } }, { kind: 'stopped' });
    expect(sick.actions).toEqual(['stop', `report FAILED (${UNHEALTHY_ERR})`]);
    // found healthy after the restart: RUNNING straight away
    expect(run(restored, { kind: 'found', container: { id: 'c1', running: true, exitCode: 0, health: 'healthy' } }).actions).toEqual(['report RUNNING', 'wait']);
  });
});
