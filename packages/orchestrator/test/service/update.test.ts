// Rolling updates through the real services on a real single-member Raft cluster (harness.ts):
// the test plays the agents through the dispatcher's writes (ASSIGNED -> RUNNING, or REJECTED for
// an image that does not exist; desired SHUTDOWN -> SHUTDOWN), so the update moves on exactly as
// it would when real agents report.
import {
  Service,
  StoreOp,
  TaskState,
  UpdateFailureAction,
  UpdateOrder,
  UpdateState,
  taskStateToNumber,
  type ServiceSpec,
  type Task,
  type UpdateConfig,
} from '@flotilla/api';
import { TransactionBuilder, VersionConflict } from '@flotilla/raft';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cluster, startEnv, stopEnv, waitFor, type Env } from './harness.js';

let env: Env;
let c: Cluster;
let agents: { stop(): Promise<void> } | undefined;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await stopEnv(env);
});
beforeEach(async () => {
  c = await Cluster.start(env);
  agents = playAgents(c);
});
afterEach(async () => {
  await agents?.stop();
  await c?.stop();
});

const MISSING_IMAGE = 'flotilla/does-not-exist:latest';
const isLive = (t: Task): boolean => t.desiredState === TaskState.TASK_STATE_RUNNING;

/** Reports what an agent would for each task change, through Raft like the dispatcher. */
function playAgents(cluster: Cluster): { stop(): Promise<void> } {
  const sub = cluster.member.store.watch({ kinds: ['task'] });
  const react = async (t: Task): Promise<void> => {
    const state = t.status?.state ?? TaskState.TASK_STATE_NEW;
    if (state === TaskState.TASK_STATE_ASSIGNED && isLive(t)) {
      const missing = t.spec?.container?.image === MISSING_IMAGE;
      await report(cluster, t.id, missing ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_RUNNING, missing ? `No such image: ${MISSING_IMAGE}` : '');
    } else if (t.desiredState === TaskState.TASK_STATE_SHUTDOWN && state === TaskState.TASK_STATE_RUNNING) {
      await report(cluster, t.id, TaskState.TASK_STATE_SHUTDOWN, '');
    }
  };
  const running = (async () => {
    for await (const ev of sub) {
      if (ev.op === StoreOp.STORE_OP_DELETE || ev.object?.kind?.$case !== 'task') continue;
      await react(ev.object.kind.value).catch(() => undefined); // the store may be stopping
    }
  })();
  return {
    stop: async () => {
      sub.close();
      await running;
    },
  };
}

async function report(cluster: Cluster, id: string, state: TaskState, err: string): Promise<void> {
  await retry(cluster, () => {
    const t = cluster.view().tasks.get(id);
    if (!t || taskStateToNumber(t.status!.state) >= taskStateToNumber(state)) return undefined;
    return new TransactionBuilder(`agent-${id}-${state}`, Date.now()).update('task', {
      ...t,
      status: { ...t.status!, state, timestamp: Date.now(), message: `reported ${state}`, err },
    });
  });
}

/** What the control API does for `service update`: previousSpec := spec, spec := new, version bump, UPDATING. */
async function updateService(cluster: Cluster, id: string, change: (spec: ServiceSpec) => void, update: Partial<UpdateConfig>): Promise<Service> {
  let written: Service | undefined;
  await retry(cluster, () => {
    const s = cluster.view().services.get(id)!;
    const spec = structuredClone(s.spec!);
    change(spec);
    spec.update = { parallelism: 0, delayMs: 0, failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_PAUSE, monitorMs: 0, maxFailureRatio: 0, order: UpdateOrder.UPDATE_ORDER_STOP_FIRST, ...update };
    written = Service.fromPartial({
      ...s,
      spec,
      previousSpec: s.spec,
      specVersion: s.specVersion + 1,
      updateStatus: { state: UpdateState.UPDATE_STATE_UPDATING, startedAt: Date.now(), message: 'update in progress' },
    });
    return new TransactionBuilder(`update-${id}-${Date.now()}`, Date.now()).update('service', written);
  });
  return written!;
}

async function retry(cluster: Cluster, build: () => TransactionBuilder | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const tx = build();
    if (!tx) return;
    try {
      await cluster.store.propose(tx.build());
      return;
    } catch (err) {
      if (!(err instanceof VersionConflict) || attempt >= 20) throw err;
    }
  }
}

const liveWith = (id: string, pick: (t: Task) => string | undefined): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const t of c.view().tasks.byService(id).filter(isLive)) {
    const k = pick(t) ?? '';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

async function runningService(id: string, replicas: number): Promise<void> {
  await c.addNode('node-a');
  await c.addNode('node-b');
  await c.createService({ id, replicas });
  await waitFor(
    () => c.view().tasks.byService(id).filter((t) => isLive(t) && t.status?.state === TaskState.TASK_STATE_RUNNING).length === replicas,
    { what: `${replicas} tasks of ${id} RUNNING` },
  );
}

describe('rolling update', () => {
  it('replaces 4 replicas 2 at a time, keeps the old spec as previousSpec, completes', async () => {
    await runningService('web', 4);
    const before = c.view().services.get('web')!;
    await updateService(c, 'web', (s) => (s.task!.container!.env = ['COLOR=blue']), { parallelism: 2 });

    const done = await waitFor(
      () => {
        const s = c.view().services.get('web')!;
        return s.updateStatus?.state === UpdateState.UPDATE_STATE_COMPLETED ? s : undefined;
      },
      { what: 'the update of web COMPLETED', timeoutMs: 15_000 },
    );
    expect(done.updateStatus?.message).toBe('update completed');
    expect(done.previousSpec).toEqual(before.spec);
    expect(liveWith('web', (t) => t.spec?.container?.env.join(','))).toEqual({ 'COLOR=blue': 4 });
    const live = c.view().tasks.byService('web').filter(isLive);
    expect(live.map((t) => t.slot).sort()).toEqual([1, 2, 3, 4]);
    expect(live.every((t) => t.specVersion === 2 && t.status?.state === TaskState.TASK_STATE_RUNNING)).toBe(true);
    // Exactly one replacement per slot: nothing fought the updater.
    expect(c.view().tasks.byService('web').filter((t) => t.specVersion === 2)).toHaveLength(4);
  });

  it('pauses after the first batch when the new image does not exist, naming the task and its error', async () => {
    await runningService('api', 4);
    await updateService(c, 'api', (s) => (s.task!.container!.image = MISSING_IMAGE), { parallelism: 2 });

    const paused = await waitFor(
      () => {
        const s = c.view().services.get('api')!;
        return s.updateStatus?.state === UpdateState.UPDATE_STATE_PAUSED ? s : undefined;
      },
      { what: 'the update of api PAUSED', timeoutMs: 15_000 },
    );
    expect(paused.updateStatus?.message).toMatch(/^update paused due to failure of task api\.\d\.\S+ \(\S+\): No such image: flotilla\/does-not-exist:latest/);
    // The second batch never started: two slots still run the old image.
    expect(liveWith('api', (t) => (t.slot > 2 ? t.spec?.container?.image : undefined))['flotilla/busybox:latest']).toBe(2);
  });

  it('failure action rollback brings the old spec back on every slot', async () => {
    await runningService('db', 4);
    const before = c.view().services.get('db')!;
    await updateService(c, 'db', (s) => (s.task!.container!.image = MISSING_IMAGE), {
      parallelism: 2,
      failureAction: UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK,
    });
    const rolledBack = await waitFor(
      () => {
        const s = c.view().services.get('db')!;
        return s.updateStatus?.state === UpdateState.UPDATE_STATE_ROLLBACK_COMPLETED ? s : undefined;
      },
      { what: 'the rollback of db completed', timeoutMs: 15_000 },
    );
    expect(rolledBack.spec).toEqual(before.spec);
    expect(rolledBack.previousSpec?.task?.container?.image).toBe(MISSING_IMAGE);
    await waitFor(() => JSON.stringify(liveWith('db', (t) => t.spec?.container?.image)) === JSON.stringify({ 'flotilla/busybox:latest': 4 }), {
      what: 'db back on 4 tasks of the old image',
    });
  });
});
