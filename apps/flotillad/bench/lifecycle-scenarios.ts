import { performance } from 'node:perf_hooks';
import { removeContainersByLabel } from './engine-watch.js';
import { REPLICA_COMMAND, type ServiceSystem } from './orchestrator.js';
import { runOk } from './processes.js';
import type { ScenarioContext } from './scenarios.js';
import { watchUpdateCompleted } from './update-events.js';

const DEADLINE_MS = 180_000;

function cli(system: ServiceSystem, ...args: string[]): Promise<string> {
  const [command, ...prefix] = system.cliArgv;
  return runOk(command, [...prefix, ...args]);
}

async function tearDown(ctx: ScenarioContext, system: ServiceSystem, service: string): Promise<void> {
  await system.remove(service).catch(() => undefined);
  await removeContainersByLabel(ctx.docker, system.serviceLabel(service));
}

/**
 * (a) A service whose check always fails (`--health-cmd false --health-interval 1s
 * --health-retries 2`, default stop grace and restart delay): ms from issuing the create until
 * a second container of the service starts, i.e. the unhealthy one's replacement.
 */
export async function timeHealthReplacement(ctx: ScenarioContext, system: ServiceSystem, service: string): Promise<number> {
  let first: string | undefined;
  const replaced = await ctx.watch.arm(
    system.serviceLabel(service),
    (v) => {
      for (const id of v.running) {
        first ??= id;
        if (id !== first) return true;
      }
      return false;
    },
    DEADLINE_MS,
    `a replacement of the unhealthy container of ${system.name} service ${service}`,
  );
  const started = performance.now();
  try {
    await cli(
      system,
      'service', 'create', '--detach', '--name', service, '--replicas', '1',
      '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '2',
      ...(system.name === 'swarm' ? ['--no-resolve-image'] : []),
      system.image, ...REPLICA_COMMAND,
    );
    return (await replaced.reached) - started;
  } catch (err) {
    replaced.cancel();
    throw err;
  } finally {
    await tearDown(ctx, system, service);
  }
}

export interface UpdateTimes {
  /** Every one of the replicas running is a new container. */
  replacedMs: number;
  /** The system says the update has completed. */
  completedMs: number;
  /** Wall-clock time the update was issued, to line a run up with the daemon's log. */
  issuedAt: Date;
}

/**
 * (b) A rolling update of `replicas` tasks, parallelism 2, stop grace 0 s, in `order`: ms from
 * issuing `service update` until all running containers are new ones, and until the update
 * state is `completed`.
 */
export async function timeRollingUpdate(ctx: ScenarioContext, system: ServiceSystem, service: string, replicas: number, order: 'stop-first' | 'start-first'): Promise<UpdateTimes> {
  const label = system.serviceLabel(service);
  try {
    const up = await ctx.watch.arm(label, (v) => v.running.size === replicas, DEADLINE_MS, `${replicas} running containers of ${service}`);
    await cli(
      system,
      'service', 'create', '--detach', '--name', service, '--replicas', String(replicas), '--stop-grace-period', '0s',
      ...(system.name === 'swarm' ? ['--no-resolve-image'] : []),
      system.image, ...REPLICA_COMMAND,
    );
    await up.reached;
    const old = new Set((await ctx.docker.listContainers({ filters: { label: [label], status: ['running'] } })).map((c) => c.Id));
    const replaced = await ctx.watch.arm(
      label,
      (v) => v.running.size === replicas && [...v.running].every((id) => !old.has(id)),
      DEADLINE_MS,
      `${replicas} new running containers of ${service}`,
    );
    const completion = watchUpdateCompleted(system, service, DEADLINE_MS);
    const started = performance.now();
    const issuedAt = new Date();
    try {
      await cli(
        system,
        'service', 'update', '--detach', '--update-parallelism', '2', '--update-order', order, '--env-add', 'BENCH_GENERATION=2',
        ...(system.name === 'swarm' ? ['--no-resolve-image'] : []),
        service,
      );
    } catch (err) {
      replaced.cancel();
      completion.stop();
      throw err;
    }
    const completedMs = (await completion.completed) - started;
    const replacedMs = (await replaced.reached) - started;
    return { replacedMs, completedMs, issuedAt };
  } finally {
    await tearDown(ctx, system, service);
  }
}
