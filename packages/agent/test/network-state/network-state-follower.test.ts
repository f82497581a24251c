// The agent's NetworkStateFollower against the real dispatcher on a real nats-server (mutual
// TLS, production worker permissions); the dispatcher's store side is in memory (dispatcher
// test support). A lost state is made by the test dropping deliveries on the follower's own
// subscription (the real connection underneath): the heartbeat's networks_sequence reveals
// the loss and the follower asks for the state again.
import { HeartbeatRequest, HeartbeatResponse, OpenSessionRequest, OpenSessionResponse, TaskState, type NodeNetworkState } from '@flotilla/api';
import { createLogger, request, type BusConnection } from '@flotilla/bus';
import { Dispatcher } from '@flotilla/dispatcher';
import { waitFor } from '@flotilla/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkStateFollower } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../../../dispatcher/test/support/cluster.js';
import { MemoryDispatcherBackend } from '../../../dispatcher/test/support/memory-backend.js';
import { MemoryNetworkSource, node, overlay, service, task } from '../../../dispatcher/test/support/network-objects.js';

const log = createLogger({ component: 'follower-test', level: 'silent' });
let cluster: TestCluster;
let source: MemoryNetworkSource;
let dispatcher: Dispatcher;
let w1: BusConnection;

beforeAll(async () => {
  cluster = await startTestCluster(['w1']);
  source = new MemoryNetworkSource();
  source.put('network', overlay('na', 'front', '198.19.1.0/24', 4097));
  source.put('node', node('w1', '198.18.5.1'));
  source.put('service', service('web', 'web', { networks: ['na'] }));
  source.put('task', task('t1', 'web', 'w1', { na: '198.19.1.3/24' }, TaskState.TASK_STATE_ASSIGNED));
  dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend: new MemoryDispatcherBackend(1_000), networks: source, networkBatchMs: 10 });
  await dispatcher.start();
  w1 = await cluster.worker('w1');
});

afterAll(async () => {
  await dispatcher?.stop();
  await cluster?.stop();
});

/** The worker's real connection, with deliveries to its subscriptions dropped while `drop` is set. */
function lossy(nc: BusConnection['nc']): { nc: BusConnection['nc']; drop: boolean } {
  const ctl = { nc, drop: false };
  ctl.nc = new Proxy(nc, {
    get(target, prop, receiver) {
      if (prop !== 'subscribe') return Reflect.get(target, prop, receiver);
      return (subject: string, opts: Parameters<BusConnection['nc']['subscribe']>[1]) =>
        target.subscribe(subject, {
          ...opts,
          callback: (err, msg) => {
            if (!ctl.drop) opts?.callback?.(err, msg);
          },
        });
    },
  });
  return ctl;
}

describe('NetworkStateFollower', () => {
  it('applies the session\'s states, and asks again when a heartbeat shows one was lost', async () => {
    const link = lossy(w1.nc);
    const applied: NodeNetworkState[] = [];
    const follower = new NetworkStateFollower({ nc: link.nc, subjects: cluster.subjects, nodeId: 'w1', log, onState: (s) => void applied.push(s) });
    follower.start();
    const { sessionId } = await request(w1.nc, cluster.subjects.dispatcher.session('w1'), OpenSessionRequest, { nodeId: 'w1' }, OpenSessionResponse, { timeoutMs: 5_000 });
    follower.sessionChanged(sessionId);
    await waitFor(() => applied.length >= 1, { what: 'first state', timeoutMs: 10_000 });
    expect(applied.map((s) => s.sequence)).toEqual([1]);

    const heartbeat = () => request(w1.nc, cluster.subjects.dispatcher.heartbeat('w1'), HeartbeatRequest, { sessionId }, HeartbeatResponse, { timeoutMs: 5_000 });
    expect((await heartbeat()).networksSequence).toBe(1);

    link.drop = true;
    source.put('task', task('t2', 'web', 'w1', { na: '198.19.1.4/24' }, TaskState.TASK_STATE_ASSIGNED, TaskState.TASK_STATE_RUNNING, 2));
    const hb = await waitFor(async () => {
      const r = await heartbeat();
      return r.networksSequence === 2 ? r : undefined;
    }, { what: 'the dispatcher to publish sequence 2', timeoutMs: 10_000 });
    link.drop = false;
    expect(applied).toHaveLength(1); // the published state 2 never arrived

    follower.heartbeat(sessionId, hb.networksSequence);
    await waitFor(() => applied.length >= 2, { what: 'the lost state asked for and applied', timeoutMs: 10_000 });
    expect(applied[1]!.sequence).toBe(2);
    expect(applied[1]!.services[0]!.tasks.map((t) => t.taskId)).toEqual(['t1', 't2']);
    // a heartbeat that shows nothing new asks nothing and applies nothing
    follower.heartbeat(sessionId, 2);
    await follower.ask();
    expect(applied).toHaveLength(2);
    follower.stop();
  }, 60_000);
});
