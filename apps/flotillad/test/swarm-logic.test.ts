import { describe, expect, it } from 'vitest';
import { NodeRole, Service, ServiceMode, StoreOp, Task, TaskState, type StoreEvent } from '@flotilla/api';
import { clusterSubjects } from '@flotilla/bus';
import { newNodeId } from '@flotilla/ca';
import { resolveAdvertiseAddr, resolveListenAddr } from '../src/swarm/addresses.js';
import { assignmentChangeOf } from '../src/manager/dispatcher-backend.js';
import { natsUsersFor } from '../src/manager/nats-users.js';
import { serviceView } from '../src/control/views.js';

const task = (over: Partial<Task>) =>
  Task.fromPartial({ id: 't1', nodeId: 'n1', desiredState: TaskState.TASK_STATE_RUNNING, status: { state: TaskState.TASK_STATE_ASSIGNED }, specVersion: 1, ...over });
const event = (op: StoreOp, now: Task, old?: Task): StoreEvent => ({
  index: 1,
  op,
  object: { kind: { $case: 'task', value: now } },
  ...(old ? { old: { kind: { $case: 'task', value: old } } } : {}),
});

describe('assignments from store events', () => {
  it('sends a task once the scheduler assigns it, not while it is NEW or PENDING', () => {
    expect(assignmentChangeOf(event(StoreOp.STORE_OP_CREATE, task({ status: { state: TaskState.TASK_STATE_NEW, timestamp: 0, message: '', err: '', pendingReason: '' } })), 'n1')).toBeUndefined();
    const assigned = task({});
    expect(assignmentChangeOf(event(StoreOp.STORE_OP_UPDATE, assigned, task({ status: { state: TaskState.TASK_STATE_PENDING, timestamp: 0, message: '', err: '', pendingReason: '' } })), 'n1')).toEqual({ updated: [assigned], removed: [] });
    expect(assignmentChangeOf(event(StoreOp.STORE_OP_UPDATE, assigned), 'n2')).toBeUndefined();
  });

  it('does not echo the agent its own status report, but does send a new desired state', () => {
    const running = task({ status: { state: TaskState.TASK_STATE_RUNNING, timestamp: 2, message: '', err: '', pendingReason: '' } });
    expect(assignmentChangeOf(event(StoreOp.STORE_OP_UPDATE, running, task({})), 'n1')).toBeUndefined();
    const shutdown = { ...running, desiredState: TaskState.TASK_STATE_SHUTDOWN };
    expect(assignmentChangeOf(event(StoreOp.STORE_OP_UPDATE, shutdown, running), 'n1')).toEqual({ updated: [shutdown], removed: [] });
  });

  it('removes a deleted task or one moved to another node', () => {
    expect(assignmentChangeOf(event(StoreOp.STORE_OP_DELETE, task({})), 'n1')).toEqual({ updated: [], removed: ['t1'] });
    expect(assignmentChangeOf(event(StoreOp.STORE_OP_UPDATE, task({ nodeId: 'n2' }), task({})), 'n1')).toEqual({ updated: [], removed: ['t1'] });
  });
});

describe('addresses', () => {
  const ifaces = { eth0: [{ address: '10.1.2.3', family: 'IPv4', internal: false }], lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] } as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;
  it('takes an IP, an IP:port, an interface, or the only external address', () => {
    expect(resolveAdvertiseAddr('127.0.0.11', ifaces)).toEqual({ host: '127.0.0.11', port: undefined });
    expect(resolveAdvertiseAddr('127.0.0.11:2377', ifaces)).toEqual({ host: '127.0.0.11', port: 2377 });
    expect(resolveAdvertiseAddr('eth0', ifaces)).toEqual({ host: '10.1.2.3', port: undefined });
    expect(resolveAdvertiseAddr('', ifaces)).toEqual({ host: '10.1.2.3', port: undefined });
    expect(() => resolveAdvertiseAddr('wlan9', ifaces)).toThrow('no interface named wlan9');
    expect(resolveListenAddr('')).toEqual({ host: '0.0.0.0', port: 2377 });
    expect(resolveListenAddr('127.0.0.2:0')).toEqual({ host: '127.0.0.2', port: 0 });
    expect(() => resolveListenAddr('here:1')).toThrow('expected ip[:port]');
  });
});

describe('NATS users and service counts', () => {
  it('names users by node id, gives workers only their own subjects and leaves denied nodes out', () => {
    const subjects = clusterSubjects('c1');
    const [mgr, wrk, gone] = [newNodeId(), newNodeId(), newNodeId()];
    const nodes = [
      { id: mgr, role: NodeRole.NODE_ROLE_MANAGER },
      { id: wrk, role: NodeRole.NODE_ROLE_WORKER },
      { id: gone, role: NodeRole.NODE_ROLE_WORKER },
    ].map((n) => ({ ...n, spec: undefined }) as never);
    const users = natsUsersFor(subjects, nodes, [gone], mgr);
    // and one user per manager service that may run as its own process (issue 16)
    const services = ['flotilla-service-scheduler', 'flotilla-service-orchestrator', 'flotilla-service-allocator'];
    expect(users.map((u) => u.user).sort()).toEqual([mgr, wrk, ...services].sort());
    expect(users.find((u) => u.user === 'flotilla-service-scheduler')!.permissions?.publish?.allow).toEqual([subjects.store.scoped('scheduler').any]);
    expect(users.find((u) => u.user === wrk)!.permissions?.publish?.allow).toEqual([subjects.dispatcher.fromNode(wrk), subjects.logs.fromNode(wrk)]);
    // this manager is always a user, even before its Node object is in the store
    expect(natsUsersFor(subjects, [], [], mgr).map((u) => u.user).filter((u) => !services.includes(u))).toEqual([mgr]);
  });

  it('counts running tasks that should run against the replicas', () => {
    const service = Service.fromPartial({ id: 's', spec: { mode: ServiceMode.SERVICE_MODE_REPLICATED, replicas: 3 } });
    const tasks = [
      task({ id: 'a', status: { state: TaskState.TASK_STATE_RUNNING, timestamp: 0, message: '', err: '', pendingReason: '' } }),
      task({ id: 'b', desiredState: TaskState.TASK_STATE_SHUTDOWN, status: { state: TaskState.TASK_STATE_RUNNING, timestamp: 0, message: '', err: '', pendingReason: '' } }),
      task({ id: 'c' }),
    ];
    expect(serviceView(service, tasks, 1)).toMatchObject({ runningTasks: 1, desiredTasks: 3 });
  });

  it('counts a job\'s tasks of the current iteration only: running, wanted and completed', () => {
    const service = Service.fromPartial({ id: 's', spec: { mode: ServiceMode.SERVICE_MODE_REPLICATED_JOB, replicas: 4, maxConcurrent: 2 }, jobStatus: { jobIteration: 1 } });
    const st = (state: TaskState) => ({ state, timestamp: 0, message: '', err: '', pendingReason: '' });
    const tasks = [
      task({ id: 'old', jobIteration: 0, status: st(TaskState.TASK_STATE_COMPLETE), desiredState: TaskState.TASK_STATE_COMPLETE }),
      task({ id: 'done', jobIteration: 1, status: st(TaskState.TASK_STATE_COMPLETE), desiredState: TaskState.TASK_STATE_COMPLETE }),
      task({ id: 'run', jobIteration: 1, status: st(TaskState.TASK_STATE_RUNNING) }),
    ];
    expect(serviceView(service, tasks, 1)).toMatchObject({ runningTasks: 1, desiredTasks: 2, completedTasks: 1 });
  });
});
