// How fast the leader's allocator turns a burst of work into store writes, on a real single-member
// Raft (real nats-server with mutual TLS, real WAL, fsync): networks created at once until all have
// a subnet and VXLAN id, then one service on one of them with many NEW tasks until all are PENDING
// with an address. Run on purpose: `pnpm --filter @flotilla/allocator exec tsx bench/allocate.ts [tasks] [networks]`.
import { Cluster, Network, Service, Task, TaskState } from '@flotilla/api';
import { waitFor } from '@flotilla/testkit';
import { AllocatorService } from '../src/index.js';
import { logger, startEnv, startSolo, stopEnv } from '../test/service/solo-member.js';

const TASKS = Number(process.argv[2] ?? 2000);
const NETWORKS = Number(process.argv[3] ?? 200);
const CHUNK = 500;

async function main(): Promise<void> {
  const env = await startEnv();
  const solo = await startSolo(env);
  const allocator = new AllocatorService({ store: solo.store, logger, nodeId: 'bench' });
  try {
    await solo.write((b) => b.create('cluster', Cluster.fromPartial({ id: 'c1', spec: { annotations: { name: 'default' }, networkPool: { defaultAddrPool: ['198.19.0.0/16'], subnetSize: 28 } } })));
    // One big network for the tasks, outside the pool.
    await solo.write((b) => b.create('network', Network.fromPartial({ id: 'big', spec: { annotations: { name: 'big' }, driver: 'overlay', ipam: [{ subnet: '198.18.0.0/20', gateway: '', range: '' }] } })));
    await allocator.start();
    await allocator.setLeader(true);

    const t0 = performance.now();
    for (let i = 0; i < NETWORKS; i += CHUNK) {
      await solo.write((b) => {
        for (let j = i; j < Math.min(NETWORKS, i + CHUNK); j++) b.create('network', Network.fromPartial({ id: `n${j}`, spec: { annotations: { name: `n${j}` }, driver: 'overlay' } }));
        return b;
      });
    }
    await waitFor(() => [...solo.store.view().networks.all()].filter((n) => n.status?.vxlanId).length === NETWORKS + 1 || undefined, { what: 'all networks allocated', timeoutMs: 600_000 });
    const networksMs = performance.now() - t0;

    const svc = Service.fromPartial({ id: 'web', specVersion: 1, spec: { annotations: { name: 'web' }, replicas: TASKS, task: { container: { image: 'x' }, networks: [{ target: 'big', aliases: [] }] } } });
    const t1 = performance.now();
    await solo.write((b) => b.create('service', svc));
    for (let i = 0; i < TASKS; i += CHUNK) {
      await solo.write((b) => {
        for (let j = i; j < Math.min(TASKS, i + CHUNK); j++) {
          b.create('task', Task.fromPartial({ id: `t${j}`, serviceId: 'web', slot: j + 1, spec: svc.spec!.task, status: { state: TaskState.TASK_STATE_NEW, timestamp: Date.now() }, desiredState: TaskState.TASK_STATE_RUNNING }));
        }
        return b;
      });
    }
    await waitFor(() => solo.store.view().tasks.byService('web').every((t) => t.status?.state === TaskState.TASK_STATE_PENDING) || undefined, { what: 'all tasks pending', timeoutMs: 600_000 });
    const tasksMs = performance.now() - t1;
    const addresses = new Set(solo.store.view().tasks.byService('web').map((t) => t.networks[0]?.addresses[0]));
    if (addresses.size !== TASKS) throw new Error(`expected ${TASKS} distinct addresses, got ${addresses.size}`);
    console.log(
      `allocator: networks=${NETWORKS} networks_ms=${networksMs.toFixed(0)} networks_per_s=${((NETWORKS / networksMs) * 1000).toFixed(0)} ` +
        `tasks=${TASKS} tasks_ms=${tasksMs.toFixed(0)} tasks_per_s=${((TASKS / tasksMs) * 1000).toFixed(0)} passes=${allocator.passes}`,
    );
  } finally {
    await allocator.stop();
    await solo.member.stop();
    await stopEnv(env);
  }
}

await main();
