// depends_on through the real orchestrator, scheduler and allocator on a single-member Raft
// cluster: the dependent service gets no task until its dependency reports RUNNING (healthy),
// says what it waits for meanwhile, and is released exactly once.
import { DependencyCondition, Service, ServiceMode, StoreOp, TaskState } from '@flotilla/api';
import { TransactionBuilder } from '@flotilla/raft';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cluster, startEnv, stopEnv, waitFor, type Env } from './harness.js';

let env: Env;
let c: Cluster;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await stopEnv(env);
});
beforeEach(async () => {
  c = await Cluster.start(env);
});
afterEach(async () => {
  await c?.stop();
});

const spec = (name: string, dependsOn: Array<{ service: string; condition: DependencyCondition }> = []) =>
  Service.fromPartial({
    id: name,
    specVersion: 1,
    spec: { annotations: { name }, mode: ServiceMode.SERVICE_MODE_REPLICATED, replicas: 1, task: { container: { image: 'flotilla/busybox:latest' } }, dependsOn },
  });

describe('depends_on in the orchestrator', () => {
  it('holds web until db is healthy, then creates its task; never the other way round', async () => {
    await c.addNode('node-a');
    const createdAt = new Map<string, number>();
    const watch = c.store.watch({ kinds: ['task'] });
    const seen = (async () => {
      for await (const ev of watch) {
        const t = ev.object?.kind?.$case === 'task' ? ev.object.kind.value : undefined;
        if (t && ev.op === StoreOp.STORE_OP_CREATE && !createdAt.has(t.serviceId)) createdAt.set(t.serviceId, ev.index);
      }
    })();
    // Both in one transaction, as stack deploy writes them.
    await c.store.propose(
      new TransactionBuilder('deploy', Date.now())
        .create('service', spec('web', [{ service: 'db', condition: DependencyCondition.DEPENDENCY_CONDITION_HEALTHY }]))
        .create('service', spec('db'))
        .build(),
    );
    const dbTask = await waitFor(() => c.tasksOf('db').find((t) => t.status?.state === TaskState.TASK_STATE_ASSIGNED), { what: 'db task ASSIGNED' });
    await waitFor(() => c.view().services.get('web')?.dependencies?.waitingFor === 'db to be healthy (0/1 running healthy)', { what: 'web waiting for db' });
    expect(c.tasksOf('web')).toEqual([]);
    await c.reportTask(dbTask.id, TaskState.TASK_STATE_STARTING);
    await waitFor(() => c.view().services.get('web')?.dependencies?.waitingFor !== undefined, { what: 'web status' });
    expect(c.tasksOf('web')).toEqual([]); // started but not healthy yet
    const releasedAfter = Date.now();
    await c.reportTask(dbTask.id, TaskState.TASK_STATE_RUNNING);
    await waitFor(() => c.tasksOf('web').length === 1, { what: 'web task created' });
    // The release is written right after the task (the pass's service writes follow its task writes).
    const web = await waitFor(() => (c.view().services.get('web')?.dependencies?.releasedAt ? c.view().services.get('web') : undefined), { what: 'web released' });
    expect(web.dependencies?.releasedAt).toBeGreaterThanOrEqual(releasedAfter);
    expect(web.dependencies?.waitingFor).toBe('');
    watch.close();
    await seen.catch(() => undefined);
    expect(createdAt.get('db')!).toBeLessThan(createdAt.get('web')!);

    // Released for good: db failing later does not take web's tasks away or hold a new one.
    await c.reportTask(dbTask.id, TaskState.TASK_STATE_FAILED, { exitCode: 1 });
    await c.scale('web', 2);
    await waitFor(() => c.liveTasksOf('web').length === 2, { what: 'web scaled to 2 while db is down' });
  });

  it('over 20 deploys web\'s first task is never created before db reports RUNNING (Raft order)', async () => {
    await c.addNode('node-a');
    const dbRunningAt = new Map<string, number>();
    const webCreatedAt = new Map<string, number>();
    const watch = c.store.watch({ kinds: ['task'] });
    const seen = (async () => {
      for await (const ev of watch) {
        const t = ev.object?.kind?.$case === 'task' ? ev.object.kind.value : undefined;
        if (!t) continue;
        if (t.serviceId.startsWith('db') && t.status?.state === TaskState.TASK_STATE_RUNNING && !dbRunningAt.has(t.serviceId)) dbRunningAt.set(t.serviceId, ev.index);
        if (t.serviceId.startsWith('web') && ev.op === StoreOp.STORE_OP_CREATE && !webCreatedAt.has(t.serviceId)) webCreatedAt.set(t.serviceId, ev.index);
      }
    })();
    for (let i = 0; i < 20; i++) {
      await c.store.propose(
        new TransactionBuilder(`deploy-${i}`, Date.now())
          .create('service', spec(`web${i}`, [{ service: `db${i}`, condition: DependencyCondition.DEPENDENCY_CONDITION_HEALTHY }]))
          .create('service', spec(`db${i}`))
          .build(),
      );
      const db = await waitFor(() => c.tasksOf(`db${i}`).find((t) => t.status?.state === TaskState.TASK_STATE_ASSIGNED), { what: `db${i} task ASSIGNED` });
      await c.reportTask(db.id, TaskState.TASK_STATE_STARTING);
      expect(c.tasksOf(`web${i}`)).toEqual([]);
      await c.reportTask(db.id, TaskState.TASK_STATE_RUNNING);
      await waitFor(() => c.tasksOf(`web${i}`).length === 1, { what: `web${i} task created` });
    }
    await waitFor(() => webCreatedAt.size === 20 && dbRunningAt.size === 20, { what: 'every event seen' });
    watch.close();
    await seen.catch(() => undefined);
    for (let i = 0; i < 20; i++) expect([i, webCreatedAt.get(`web${i}`)! > dbRunningAt.get(`db${i}`)!]).toEqual([i, true]);
  });
});
