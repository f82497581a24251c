import { Lease, NodeState, Service, StoreOp, Task, TaskState, UpdateState, type StoreEvent } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../src/control/control-error.js';
import { clusterEventOf, eventFilter, matches } from '../src/events/cluster-events.js';

const service = (updateState: UpdateState | undefined, replicas = 3, updatedAt = 1_000) =>
  Service.fromPartial({
    id: 'svc1',
    meta: { version: 5, createdAt: 500, updatedAt },
    spec: { annotations: { name: 'web' }, replicas, task: { container: { image: 'img:1' } } },
    ...(updateState ? { updateStatus: { state: updateState } } : {}),
  });

const ev = (op: StoreOp, object: StoreEvent['object'], old?: StoreEvent['old']): StoreEvent => ({ index: 7, op, object, old });

describe('clusterEventOf', () => {
  it('names a service update by what changed, with the transaction time', () => {
    const e = clusterEventOf(
      ev(StoreOp.STORE_OP_UPDATE, { kind: { $case: 'service', value: service(UpdateState.UPDATE_STATE_UPDATING, 5, 2_000) } }, { kind: { $case: 'service', value: service(undefined) } }),
      99,
    );
    expect(e).toEqual({ type: 'service', action: 'update', id: 'svc1', attributes: { name: 'web', 'replicas.new': '5', 'replicas.old': '3', 'updatestate.new': 'updating' }, timeUnixMs: 2_000, index: 7 });
    const rolled = clusterEventOf(
      ev(StoreOp.STORE_OP_UPDATE, { kind: { $case: 'service', value: service(UpdateState.UPDATE_STATE_ROLLBACK_COMPLETED) } }, { kind: { $case: 'service', value: service(UpdateState.UPDATE_STATE_ROLLBACK_STARTED) } }),
      0,
    );
    expect(rolled?.attributes).toEqual({ name: 'web', 'updatestate.new': 'rollback_completed', 'updatestate.old': 'rollback_started' });
  });

  it("leaves the manager services' lease renewals out of the user's events (issue 16)", () => {
    const lease = Lease.fromPartial({ id: 'scheduler', holder: 'i1', epoch: 2, meta: { version: 9, updatedAt: 1_000 } });
    expect(clusterEventOf(ev(StoreOp.STORE_OP_UPDATE, { kind: { $case: 'lease', value: lease } }, { kind: { $case: 'lease', value: lease } }), 0)).toBeUndefined();
  });

  it('times a removal by the caller (the deleted object carries only its last write)', () => {
    const e = clusterEventOf(ev(StoreOp.STORE_OP_DELETE, { kind: { $case: 'service', value: service(undefined) } }), 5_000);
    expect(e).toMatchObject({ action: 'remove', timeUnixMs: 5_000, attributes: { name: 'web' } });
  });

  it('describes tasks by service, slot, node and state changes, and nodes by state', () => {
    const task = (state: TaskState) =>
      Task.fromPartial({ id: 't1', serviceName: 'web', slot: 2, nodeId: 'n1', desiredState: TaskState.TASK_STATE_RUNNING, status: { state, err: state === TaskState.TASK_STATE_FAILED ? 'unhealthy container' : '' }, meta: { updatedAt: 3 } });
    const e = clusterEventOf(ev(StoreOp.STORE_OP_UPDATE, { kind: { $case: 'task', value: task(TaskState.TASK_STATE_FAILED) } }, { kind: { $case: 'task', value: task(TaskState.TASK_STATE_RUNNING) } }), 0);
    expect(e?.attributes).toEqual({ err: 'unhealthy container', node: 'n1', service: 'web', slot: '2', 'state.new': 'failed', 'state.old': 'running' });
    const node = (state: NodeState) => ({ kind: { $case: 'node' as const, value: { id: 'n1', description: { hostname: 'w1' }, status: { state }, meta: { updatedAt: 4 } } as never } });
    expect(clusterEventOf(ev(StoreOp.STORE_OP_UPDATE, node(NodeState.NODE_STATE_DOWN), node(NodeState.NODE_STATE_READY)), 0)?.attributes).toEqual({ name: 'w1', 'state.new': 'down', 'state.old': 'ready' });
  });
});

describe('eventFilter', () => {
  it('matches by type and action, alternatives within one key', () => {
    const f = eventFilter(['service', 'node'], ['remove']);
    const e = { type: 'service', action: 'remove', id: 'x', attributes: {}, timeUnixMs: 0, index: 1 };
    expect(matches(f, e)).toBe(true);
    expect(matches(f, { ...e, action: 'create' })).toBe(false);
    expect(matches(f, { ...e, type: 'task' })).toBe(false);
    expect(matches(eventFilter([], []), { ...e, type: 'task' })).toBe(true);
  });

  it('refuses unknown types and actions by name', () => {
    expect(() => eventFilter(['container'], [])).toThrow(ControlError);
    expect(() => eventFilter([], ['start'])).toThrow('invalid filter event=start: expected one of create, update, remove');
  });
});
