// The dispatcher's NodeNetworkState over a real nats-server with mutual TLS and the production
// worker permissions (the worker receives on its own subject and asks on its own). The store
// side is the in-memory source of test/support/network-objects.ts (see why there).
import { HeartbeatRequest, HeartbeatResponse, NetworkStateRequest, NodeNetworkState, OpenSessionRequest, OpenSessionResponse, TaskState } from '@flotilla/api';
import { BusErrorCode, decodeMessage, isBusRequestError, request, type BusConnection } from '@flotilla/bus';
import { waitFor } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { MemoryDispatcherBackend } from '../support/memory-backend.js';
import { MemoryNetworkSource, node, overlay, service, task } from '../support/network-objects.js';

let cluster: TestCluster;
let source: MemoryNetworkSource;
let dispatcher: Dispatcher;
let w1: BusConnection;
let w2: BusConnection;

beforeAll(async () => {
  cluster = await startTestCluster(['w1', 'w2']);
  source = new MemoryNetworkSource();
  source.put('network', overlay('ing', 'ingress', '198.19.0.0/24', 4096, true));
  source.put('network', overlay('na', 'front', '198.19.1.0/24', 4097));
  source.put('network', overlay('nb', 'back', '198.19.2.0/24', 4098));
  source.put('node', node('w1', '198.18.5.1'));
  source.put('node', node('w2', '198.18.5.2'));
  source.put('service', service('web', 'web', { networks: ['na'], vips: { na: '198.19.1.2/24' } }));
  source.put('service', service('db', 'db', { networks: ['nb'], vips: { nb: '198.19.2.2/24' } }));
  source.put('task', task('t1', 'web', 'w1', { na: '198.19.1.3/24' }, TaskState.TASK_STATE_ASSIGNED));
  dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend: new MemoryDispatcherBackend(1_000), networks: source, networkBatchMs: 10 });
  await dispatcher.start();
  w1 = await cluster.worker('w1');
  w2 = await cluster.worker('w2');
});

afterAll(async () => {
  await dispatcher?.stop();
  await cluster?.stop();
});

function listen(w: BusConnection, nodeId: string): NodeNetworkState[] {
  const got: NodeNetworkState[] = [];
  const subject = cluster.subjects.node.networks(nodeId);
  w.nc.subscribe(subject, { callback: (_e, m) => void got.push(decodeMessage(NodeNetworkState, m.data, subject)) });
  return got;
}

async function open(w: BusConnection, nodeId: string): Promise<string> {
  await w.nc.flush();
  const res = await request(w.nc, cluster.subjects.dispatcher.session(nodeId), OpenSessionRequest, { nodeId }, OpenSessionResponse, { timeoutMs: 5_000 });
  return res.sessionId;
}

const ask = (w: BusConnection, nodeId: string, sessionId: string) =>
  request(w.nc, cluster.subjects.dispatcher.networks(nodeId), NetworkStateRequest, { sessionId }, NodeNetworkState, { timeoutMs: 5_000 });

const summary = (s: NodeNetworkState) => ({
  seq: s.sequence,
  networks: s.networks.map((n) => `${n.network?.id}:${n.peerAddrs.join(',')}`),
  tasks: s.services.flatMap((x) => x.tasks.map((t) => `${t.taskId}@${t.nodeAddr}${t.serving ? '+' : ''}`)),
});

describe('NodeNetworkState from the dispatcher', () => {
  let s1 = '';
  let s2 = '';
  // What each worker received on its own subject, through every case below.
  let l1: NodeNetworkState[] = [];
  let l2: NodeNetworkState[] = [];

  it('sends each new session its state, numbered from 1', async () => {
    l1 = listen(w1, 'w1');
    l2 = listen(w2, 'w2');
    s1 = await open(w1, 'w1');
    s2 = await open(w2, 'w2');
    await waitFor(() => l1.length >= 1 && l2.length >= 1, { timeoutMs: 10_000, what: 'first network states' });
    expect(l1[0]!.sessionId).toBe(s1);
    expect(summary(l1[0]!)).toEqual({ seq: 1, networks: ['ing:198.18.5.2', 'na:'], tasks: ['t1@198.18.5.1'] });
    expect(summary(l2[0]!)).toEqual({ seq: 1, networks: ['ing:198.18.5.1'], tasks: [] });
  });

  it('publishes a new whole state when a task on the node\'s network starts elsewhere, and the other node gets the network', async () => {
    source.put('task', task('t2', 'web', 'w2', { na: '198.19.1.4/24' }, TaskState.TASK_STATE_ASSIGNED, TaskState.TASK_STATE_RUNNING, 2));
    await waitFor(() => l1.length >= 2 && l2.length >= 2, { timeoutMs: 10_000, what: 'states after t2' });
    expect(summary(l1[1]!)).toEqual({ seq: 2, networks: ['ing:198.18.5.2', 'na:198.18.5.2'], tasks: ['t1@198.18.5.1', 't2@198.18.5.2'] });
    expect(summary(l2[1]!)).toEqual({ seq: 2, networks: ['ing:198.18.5.1', 'na:198.18.5.1'], tasks: ['t1@198.18.5.1', 't2@198.18.5.2'] });

    // running: serving flips, one more state each
    source.put('task', task('t1', 'web', 'w1', { na: '198.19.1.3/24' }, TaskState.TASK_STATE_RUNNING));
    await waitFor(() => l1.length >= 3 && l2.length >= 3, { timeoutMs: 10_000, what: 'states after t1 runs' });
    expect(summary(l2[2]!).tasks).toEqual(['t1@198.18.5.1+', 't2@198.18.5.2']);
  });

  it('sends nothing when a change does not alter the node\'s state, or concerns another network', async () => {
    const before = dispatcher['networkStates']!.published;
    // PREPARING -> STARTING changes nothing any node is told
    source.put('task', task('t2', 'web', 'w2', { na: '198.19.1.4/24' }, TaskState.TASK_STATE_STARTING, TaskState.TASK_STATE_RUNNING, 2));
    // a task of db on w2: only w2's state changes
    source.put('task', task('d1', 'db', 'w2', { nb: '198.19.2.3/24' }, TaskState.TASK_STATE_ASSIGNED));
    await waitFor(() => l2.length >= 4, { timeoutMs: 10_000, what: 'w2 state with db' });
    expect(summary(l2[3]!).networks).toEqual(['ing:198.18.5.1', 'na:198.18.5.1', 'nb:']);
    // a marker change that does reach w1 proves nothing else was sent to it in between
    source.put('task', task('t2', 'web', 'w2', { na: '198.19.1.4/24' }, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_RUNNING, 2));
    await waitFor(() => l1.length >= 4, { timeoutMs: 10_000, what: 'w1 state after t2 runs' });
    expect(l1.map((s) => s.sequence)).toEqual([1, 2, 3, 4]);
    expect(summary(l1[3]!).tasks).toEqual(['t1@198.18.5.1+', 't2@198.18.5.2+']);
    expect(dispatcher['networkStates']!.published - before).toBe(3); // w2 (db), w1 and w2 (t2 running)
  });

  it('answers a request with the current state of the session, and refuses another session', async () => {
    const now = await ask(w1, 'w1', s1);
    expect(now.sessionId).toBe(s1);
    expect(now.sequence).toBe(l1.at(-1)!.sequence);
    expect(NodeNetworkState.toJSON(now)).toEqual(NodeNetworkState.toJSON(l1.at(-1)!));
    // heartbeats tell the last sequence published, so an agent can see it lost one
    const hb = await request(w1.nc, cluster.subjects.dispatcher.heartbeat('w1'), HeartbeatRequest, { sessionId: s1 }, HeartbeatResponse, { timeoutMs: 5_000 });
    expect(hb.networksSequence).toBe(l1.at(-1)!.sequence);
    const err = await ask(w1, 'w1', 'not-a-session').catch((e: unknown) => e);
    expect(isBusRequestError(err, BusErrorCode.NOT_FOUND)).toBe(true);
  });

  it('drops a network once the node\'s last task on it has ended, and re-lists everything after lost events', async () => {
    const n = l2.length;
    source.put('task', task('d1', 'db', 'w2', { nb: '198.19.2.3/24' }, TaskState.TASK_STATE_SHUTDOWN, TaskState.TASK_STATE_SHUTDOWN));
    await waitFor(() => l2.length > n, { timeoutMs: 10_000, what: 'w2 state without db' });
    expect(summary(l2.at(-1)!).networks).toEqual(['ing:198.18.5.1', 'na:198.18.5.1']);
    const reads = source.reads;
    source.lose();
    await waitFor(() => source.reads > reads, { timeoutMs: 10_000, what: 're-read after lost events' });
    // nothing changed, so nothing more is sent
    expect(l2.length).toBe(n + 1);
  });

  it('a new session starts again at sequence 1', async () => {
    const s2b = await open(w2, 'w2');
    expect(s2b).not.toBe(s2);
    await waitFor(() => l2.some((s) => s.sessionId === s2b), { timeoutMs: 10_000, what: 'state of the new session' });
    expect(l2.find((s) => s.sessionId === s2b)!.sequence).toBe(1);
    const err = await ask(w2, 'w2', s2).catch((e: unknown) => e);
    expect(isBusRequestError(err, BusErrorCode.NOT_FOUND)).toBe(true);
  });
});
