// End-to-end figures for the manager services on one real Raft member (real nats-server with
// mutual TLS, real WAL with fsync): how long from `service create` to every replica ASSIGNED,
// from a scale-up to the new replicas ASSIGNED, and from a node going DOWN to its tasks replaced.
// Prints one line.
//   pnpm --filter @flotilla/orchestrator exec tsx bench/pipeline.ts [replicas] [nodes]
import { NodeState, TaskState } from '@flotilla/api';
import { Cluster, startEnv, stopEnv, waitFor } from '../test/service/harness.js';

const REPLICAS = Number(process.argv[2] ?? 2000);
const NODES = Number(process.argv[3] ?? 20);

const env = await startEnv();
const c = await Cluster.start(env);
try {
  for (let i = 0; i < NODES; i++) await c.addNode(`node-${i}`);
  const assigned = (): number =>
    c.tasksOf('bench').filter((t) => t.desiredState === TaskState.TASK_STATE_RUNNING && t.status?.state === TaskState.TASK_STATE_ASSIGNED).length;
  const until = async (what: string, cond: () => boolean): Promise<number> => {
    const t0 = performance.now();
    await waitFor(cond, { what, timeoutMs: 300_000, intervalMs: 5 });
    return Math.round(performance.now() - t0);
  };

  const t0 = performance.now();
  await c.createService({ id: 'bench', replicas: REPLICAS });
  await waitFor(() => assigned() === REPLICAS, { what: `${REPLICAS} replicas ASSIGNED`, timeoutMs: 300_000, intervalMs: 5 });
  const createMs = Math.round(performance.now() - t0);

  const t1 = performance.now();
  await c.scale('bench', REPLICAS * 2);
  await waitFor(() => assigned() === REPLICAS * 2, { what: 'scaled replicas ASSIGNED', timeoutMs: 300_000, intervalMs: 5 });
  const scaleMs = Math.round(performance.now() - t1);

  const lost = c.tasksOf('bench').filter((t) => t.nodeId === 'node-0' && t.desiredState === TaskState.TASK_STATE_RUNNING).length;
  await c.updateNode('node-0', (n) => ({ ...n, status: { ...n.status!, state: NodeState.NODE_STATE_DOWN } }));
  const downMs = await until(
    'lost tasks replaced',
    () => assigned() === REPLICAS * 2 && c.tasksOf('bench').every((t) => t.nodeId !== 'node-0' || t.desiredState !== TaskState.TASK_STATE_RUNNING),
  );

  console.log(
    `orchestrator-pipeline: nodes=${NODES} replicas=${REPLICAS} create_to_assigned_ms=${createMs} scale_to_${REPLICAS * 2}_ms=${scaleMs} ` +
      `node_down_replaced=${lost} node_down_ms=${downMs} raft_index=${c.view().index} passes_orch=${c.orchestrator.passes} passes_alloc=${c.allocator.passes} passes_sched=${c.scheduler.passes}`,
  );
} finally {
  await c.stop();
  await stopEnv(env);
}
