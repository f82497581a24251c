// A dispatcher whose manager lost the leadership is stopped; its stop can wait a long time on a
// status write stuck behind the network that cost the leadership (seen in a 30-minute chaos run:
// 61 s). Found there: meanwhile its heartbeat timer kept expiring nodes, and the deposed leader
// marked every node of the swarm down. Deciding that nodes are down must end when stop begins.
import { NodeState, OpenSessionRequest, OpenSessionResponse, TaskState, TaskStatusAck, TaskStatusBatch } from '@flotilla/api';
import type { TaskStatusWrite } from '../src/backend.js';
import { request } from '@flotilla/bus';
import { waitFor } from '@flotilla/testkit';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/index.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';
import { assignedTask, MemoryDispatcherBackend } from './support/memory-backend.js';

/** Status writes wait until the test releases them: a store write stuck behind a cut network. */
class StuckWritesBackend extends MemoryDispatcherBackend {
  writesStarted = 0;
  private release: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  override async updateTaskStatuses(batch: TaskStatusWrite[]): Promise<void> {
    this.writesStarted++;
    await this.released;
    await super.updateTaskStatuses(batch);
  }

  unstick(): void {
    this.release();
  }
}

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster(['w1']);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('Dispatcher.stop', () => {
  it('stops expiring nodes at once, while its drain still waits on a stuck status write', async () => {
    const backend = new StuckWritesBackend(200); // heartbeat period 200 ms: grace 600 ms
    backend.put(assignedTask('t1', 'w1', ['true']));
    const dispatcher = new Dispatcher({ nc: cluster.manager.nc, subjects: cluster.subjects, backend });
    await dispatcher.start();
    const w1 = await cluster.worker('w1');
    const { sessionId } = await request(w1.nc, cluster.subjects.dispatcher.session('w1'), OpenSessionRequest, { nodeId: 'w1' }, OpenSessionResponse, { timeoutMs: 2_000 });
    expect(backend.nodes.get('w1')?.state).toBe(NodeState.NODE_STATE_READY);

    // A status report whose store write hangs: the handler stays in flight, so stop cannot finish.
    const running = { timestamp: Date.now(), state: TaskState.TASK_STATE_RUNNING, message: 'started', err: '', pendingReason: '' };
    const report = request(w1.nc, cluster.subjects.dispatcher.status('w1'), TaskStatusBatch, { sessionId, updates: [{ taskId: 't1', status: running }] }, TaskStatusAck, { timeoutMs: 10_000 }).catch(() => undefined);
    await waitFor(() => backend.writesStarted > 0, { what: 'the status write to start' });

    let stopped = false;
    const stopping = dispatcher.stop().then(() => {
      stopped = true;
    });
    // No heartbeat comes any more. What is checked is that nothing happens, so the test waits out
    // three graces: a running dispatcher marks w1 down within one (dispatcher.test.ts).
    await delay(3 * 600);
    expect(stopped).toBe(false);
    expect(backend.nodes.get('w1')?.state).toBe(NodeState.NODE_STATE_READY);

    backend.unstick();
    await stopping;
    await report;
    expect(backend.nodes.get('w1')?.state).toBe(NodeState.NODE_STATE_READY);
  });
});
