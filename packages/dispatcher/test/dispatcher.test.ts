import {
  Assignments,
  AssignmentsResyncRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  NodeState,
  OpenSessionRequest,
  OpenSessionResponse,
  TaskState,
  TaskStatusAck,
  TaskStatusBatch,
} from '@flotilla/api';
import { BusErrorCode, BusRequestError, decodeMessage, request, type BusConnection } from '@flotilla/bus';
import { waitFor } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/index.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';
import { assignedTask, MemoryDispatcherBackend } from './support/memory-backend.js';

// Real nats-server with mTLS and production permissions; the backend is in memory because
// the replicated store is not wired to the dispatcher yet.
let cluster: TestCluster;
let backend: MemoryDispatcherBackend;
let dispatcher: Dispatcher;

beforeAll(async () => {
  cluster = await startTestCluster(['w1', 'w2', 'w3']);
  backend = new MemoryDispatcherBackend(200);
  // a node the store believes READY from before this dispatcher started, that never comes back
  backend.nodes.set('ghost', { state: NodeState.NODE_STATE_READY, message: '', description: undefined });
  dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend });
  await dispatcher.start();
});

afterAll(async () => {
  await dispatcher?.stop();
  await cluster?.stop();
});

/** Collects the assignment messages a worker receives on its own subject. */
function listen(worker: BusConnection, nodeId: string): Assignments[] {
  const got: Assignments[] = [];
  const subject = cluster.subjects.node.assignments(nodeId);
  worker.nc.subscribe(subject, { callback: (_e, m) => void got.push(decodeMessage(Assignments, m.data, subject)) });
  return got;
}

const open = (w: BusConnection, nodeId: string, asNode = nodeId) =>
  request(w.nc, cluster.subjects.dispatcher.session(nodeId), OpenSessionRequest, { nodeId: asNode, description: { hostname: `host-${nodeId}` } }, OpenSessionResponse, { timeoutMs: 2_000 });

const heartbeat = (w: BusConnection, nodeId: string, sessionId: string) =>
  request(w.nc, cluster.subjects.dispatcher.heartbeat(nodeId), HeartbeatRequest, { sessionId }, HeartbeatResponse, { timeoutMs: 2_000 });

describe('Dispatcher over a real nats-server', () => {
  it('opens a session, publishes the full set, then numbered changes, and resyncs on request', async () => {
    backend.put(assignedTask('a1', 'w1', ['true']));
    backend.put(assignedTask('a2', 'w1', ['true']));
    backend.put(assignedTask('b1', 'w2', ['true']));
    const w1 = await cluster.worker('w1');
    const got = listen(w1, 'w1');
    await w1.nc.flush();

    const session = await open(w1, 'w1');
    expect(session.heartbeatPeriodMs).toBe(200);
    expect(backend.nodes.get('w1')).toMatchObject({ state: NodeState.NODE_STATE_READY, description: { hostname: 'host-w1' } });
    await waitFor(() => got.length === 1, { what: 'the full set' });
    expect(got[0]).toMatchObject({ sessionId: session.sessionId, sequence: 1, full: true });
    expect(got[0]!.updated.map((t) => t.id).sort()).toEqual(['a1', 'a2']);

    backend.setDesiredState('a1', TaskState.TASK_STATE_SHUTDOWN);
    backend.delete('a2');
    backend.put(assignedTask('b1', 'w1', ['true'])); // moved from w2 to w1
    await waitFor(() => got.length === 4, { what: 'three changes' });
    expect(got.slice(1).map((m) => [m.sequence, m.full, m.updated.map((t) => t.id), m.removed])).toEqual([
      [2, false, ['a1'], []],
      [3, false, [], ['a2']],
      [4, false, ['b1'], []],
    ]);

    const full = await request(w1.nc, cluster.subjects.dispatcher.assignments('w1'), AssignmentsResyncRequest, { sessionId: session.sessionId }, Assignments, { timeoutMs: 2_000 });
    expect(full).toMatchObject({ sequence: 4, full: true, sessionId: session.sessionId });
    expect(full.updated.map((t) => [t.id, t.desiredState]).sort()).toEqual([
      ['a1', TaskState.TASK_STATE_SHUTDOWN],
      ['b1', TaskState.TASK_STATE_RUNNING],
    ]);
    // the heartbeat tells the last sequence, so an agent that lost the last message notices (no network states served here: 0)
    expect(await heartbeat(w1, 'w1', session.sessionId)).toEqual({ periodMs: 200, assignmentsSequence: 4, networksSequence: 0, managerAddrs: [] });
    // the managers' addresses ride on every heartbeat, so a worker follows a manager joining or going
    backend.managers = ['10.0.0.1:2377', '10.0.0.2:2377'];
    expect((await heartbeat(w1, 'w1', session.sessionId)).managerAddrs).toEqual(['10.0.0.1:2377', '10.0.0.2:2377']);
    backend.managers = [];
    // a period changed in the cluster settings is told at the next heartbeat
    backend.periodMs = 300;
    expect((await heartbeat(w1, 'w1', session.sessionId)).periodMs).toBe(300);
    backend.periodMs = 200;
    expect((await heartbeat(w1, 'w1', session.sessionId)).periodMs).toBe(200);
  });

  it('answers an unknown or replaced session with NOT_FOUND, and refuses a body naming another node', async () => {
    const w2 = await cluster.worker('w2');
    const err = await heartbeat(w2, 'w2', 'no-such-session').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusRequestError);
    expect((err as BusRequestError).code).toBe(BusErrorCode.NOT_FOUND);
    expect((err as BusRequestError).message).toBe('session "no-such-session" of node w2 is unknown or expired; open a new session');

    const first = await open(w2, 'w2');
    const second = await open(w2, 'w2');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(((await heartbeat(w2, 'w2', first.sessionId).catch((e: unknown) => e)) as BusRequestError).code).toBe(BusErrorCode.NOT_FOUND);
    expect(backend.watcherCount('w2')).toBe(1); // the replaced session stopped watching

    const forged = await open(w2, 'w2', 'w1').catch((e: unknown) => e);
    expect((forged as BusRequestError).code).toBe(BusErrorCode.INVALID_ARGUMENT);
    expect((forged as BusRequestError).message).toContain('the request names node "w1" but was sent by node w2');
    // and NATS itself refuses a worker that speaks for another node
    const spoofed = await open(w2, 'w1').catch((e: unknown) => e);
    expect((spoofed as BusRequestError).code).toBe(BusErrorCode.PERMISSION_DENIED);
  });

  it('writes status batches and rejects statuses of tasks the node does not hold', async () => {
    backend.put(assignedTask('c1', 'w3', ['true']));
    backend.put(assignedTask('c2', 'w3', ['true']));
    const w3 = await cluster.worker('w3');
    const { sessionId } = await open(w3, 'w3');
    const running = { timestamp: Date.now(), state: TaskState.TASK_STATE_RUNNING, message: 'started', err: '', pendingReason: '' };
    const before = backend.statusBatches.length;
    const ack = await request(
      w3.nc,
      cluster.subjects.dispatcher.status('w3'),
      TaskStatusBatch,
      {
        sessionId,
        updates: [
          { taskId: 'c1', status: running },
          { taskId: 'c2', status: running },
          { taskId: 'b1', status: running }, // w1's task
        ],
      },
      TaskStatusAck,
      { timeoutMs: 2_000 },
    );
    expect(ack.rejected).toEqual([{ taskId: 'b1', reason: 'task is not assigned to node w3' }]);
    expect(backend.stateOf('c1')).toBe(TaskState.TASK_STATE_RUNNING);
    expect(backend.stateOf('c2')).toBe(TaskState.TASK_STATE_RUNNING);
    expect(backend.stateOf('b1')).not.toBe(TaskState.TASK_STATE_RUNNING);
    // both statuses of this request went to the store in one write
    expect(backend.statusBatches.slice(before).map((b) => b.map((w) => w.taskId))).toEqual([['c1', 'c2']]);
  });

  it('marks a node DOWN at once when gossip declares it dead, and its agent must re-open', async () => {
    const w2 = await cluster.worker('w2');
    const before = Date.now();
    const { sessionId } = await open(w2, 'w2');
    // when the session opened: gossip death reports older than that are about a previous process
    expect(dispatcher.sessionOpenedAt('w2')).toBeGreaterThanOrEqual(before);
    expect(dispatcher.sessionOpenedAt('w2')).toBeLessThanOrEqual(Date.now());
    await dispatcher.expireNode('w2');
    expect(dispatcher.sessionOpenedAt('w2')).toBeUndefined();
    expect(backend.nodes.get('w2')).toMatchObject({ state: NodeState.NODE_STATE_DOWN, message: 'node declared dead by gossip' });
    expect(((await heartbeat(w2, 'w2', sessionId).catch((e: unknown) => e)) as BusRequestError).code).toBe(BusErrorCode.NOT_FOUND);
    await open(w2, 'w2');
    expect(backend.nodes.get('w2')?.state).toBe(NodeState.NODE_STATE_READY);
  });

  it('gives nodes that were READY before it started one grace period, then marks them DOWN', async () => {
    await waitFor(() => backend.nodes.get('ghost')?.state === NodeState.NODE_STATE_DOWN, { what: 'ghost to be marked down' });
    expect(backend.nodes.get('ghost')?.message).toBe('heartbeat failure: no heartbeat for 600 ms');
  });

  it('marks a node DOWN once its heartbeats stop for the grace, and ends its session', async () => {
    const w3 = await cluster.worker('w3');
    const { sessionId } = await open(w3, 'w3');
    await heartbeat(w3, 'w3', sessionId);
    expect(backend.nodes.get('w3')?.state).toBe(NodeState.NODE_STATE_READY);
    // no more heartbeats: period 200 ms × grace 3
    await waitFor(() => backend.nodes.get('w3')?.state === NodeState.NODE_STATE_DOWN, { what: 'w3 to be marked down' });
    expect(backend.nodes.get('w3')?.message).toBe('heartbeat failure: no heartbeat for 600 ms');
    expect(dispatcher.sessionOf('w3')).toBeUndefined();
    expect(backend.watcherCount('w3')).toBe(0);
    expect(((await heartbeat(w3, 'w3', sessionId).catch((e: unknown) => e)) as BusRequestError).code).toBe(BusErrorCode.NOT_FOUND);
  });
});
