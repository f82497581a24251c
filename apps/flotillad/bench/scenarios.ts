import type Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import { removeContainersByLabel, type EngineWatch } from './engine-watch.js';
import type { Orchestrator } from './orchestrator.js';

const CONVERGE_DEADLINE_MS = 180_000;
/** Stop grace for services whose removal is not what is measured, so tearing them down is quick. */
const QUICK_GRACE_S = 1;

export interface ScenarioContext {
  readonly docker: Docker;
  readonly watch: EngineWatch;
}

/** Removes a service and waits until its containers are gone; force-removes any straggler. */
async function tearDown(ctx: ScenarioContext, system: Orchestrator, service: string): Promise<void> {
  const label = system.serviceLabel(service);
  const gone = await ctx.watch.arm(label, (v) => v.existing.size === 0, 60_000, `${service} to be gone`);
  try {
    await system.remove(service);
    await gone.reached;
  } catch {
    gone.cancel();
  } finally {
    await removeContainersByLabel(ctx.docker, label);
  }
}

async function createAndWait(ctx: ScenarioContext, system: Orchestrator, service: string, replicas: number, stopGraceSeconds?: number): Promise<number> {
  const wait = await ctx.watch.arm(
    system.serviceLabel(service),
    (v) => v.running.size === replicas,
    CONVERGE_DEADLINE_MS,
    `${replicas} running containers of ${system.name} service ${service}`,
  );
  const started = performance.now();
  try {
    await system.create(service, { replicas, ...(stopGraceSeconds !== undefined ? { stopGraceSeconds } : {}) });
  } catch (err) {
    wait.cancel();
    throw err;
  }
  return (await wait.reached) - started;
}

/** ms from issuing the create until `replicas` containers of the service are running. */
export async function timeCreate(ctx: ScenarioContext, system: Orchestrator, service: string, replicas: number): Promise<number> {
  try {
    return await createAndWait(ctx, system, service, replicas, QUICK_GRACE_S);
  } finally {
    await tearDown(ctx, system, service);
  }
}

/** ms from issuing the rm of a converged `replicas`-service (default grace) until none of its containers exist. */
export async function timeRemove(ctx: ScenarioContext, system: Orchestrator, service: string, replicas: number): Promise<number> {
  const label = system.serviceLabel(service);
  try {
    await createAndWait(ctx, system, service, replicas);
    const gone = await ctx.watch.arm(label, (v) => v.existing.size === 0, CONVERGE_DEADLINE_MS, `${system.name} service ${service} to be gone`);
    const started = performance.now();
    try {
      await system.remove(service);
    } catch (err) {
      gone.cancel();
      throw err;
    }
    return (await gone.reached) - started;
  } finally {
    await removeContainersByLabel(ctx.docker, label);
  }
}

/** ms from `docker kill` of one of `replicas` running containers until `replicas` run again. */
export async function timeKillRecovery(ctx: ScenarioContext, system: Orchestrator, service: string, replicas: number): Promise<number> {
  const label = system.serviceLabel(service);
  try {
    await createAndWait(ctx, system, service, replicas, QUICK_GRACE_S);
    const [victim] = (await ctx.docker.listContainers({ filters: { label: [label], status: ['running'] } })).map((c) => c.Id);
    if (!victim) throw new Error(`no running container of ${service} to kill`);
    const back = await ctx.watch.arm(
      label,
      (v) => v.running.size === replicas && !v.running.has(victim),
      CONVERGE_DEADLINE_MS,
      `${replicas} running containers of ${service} after killing one`,
    );
    const started = performance.now();
    try {
      await ctx.docker.getContainer(victim).kill();
    } catch (err) {
      back.cancel();
      throw err;
    }
    return (await back.reached) - started;
  } finally {
    await tearDown(ctx, system, service);
  }
}
