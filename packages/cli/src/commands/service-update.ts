import { TaskSpec, TaskState, UpdateState, type Service, type Task } from '@flotilla/api';
import type { ControlApi } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { applyUpdateFlags, type ServiceUpdateOptions } from './service-update-flags.js';

export interface UpdateProgress {
  /** Live tasks running the service's current task spec. */
  updated: number;
  desired: number;
  state: UpdateState;
  message: string;
}

const sameSpec = (a: TaskSpec | undefined, b: TaskSpec | undefined): boolean =>
  JSON.stringify(TaskSpec.toJSON(TaskSpec.fromPartial(a ?? {}))) === JSON.stringify(TaskSpec.toJSON(TaskSpec.fromPartial(b ?? {})));

/** Pure: how far an update (or rollback) has come. */
export function updateProgressOf(service: Service, tasks: readonly Task[]): UpdateProgress {
  const live = tasks.filter((t) => t.desiredState === TaskState.TASK_STATE_RUNNING);
  return {
    updated: live.filter((t) => t.status?.state === TaskState.TASK_STATE_RUNNING && sameSpec(t.spec, service.spec?.task)).length,
    desired: service.spec?.replicas ?? live.length,
    state: service.updateStatus?.state ?? UpdateState.UPDATE_STATE_UNKNOWN,
    message: service.updateStatus?.message ?? '',
  };
}

export const stateWord = (s: UpdateState): string => s.replace('UPDATE_STATE_', '').toLowerCase().replace('_', ' ');

const POLL_MS = 500;
const GIVE_UP_MS = 300_000;

/**
 * Follows an update until it completes (exit 0) or stops: paused, rolled back, rollback paused
 * (exit 1 with the daemon's message naming the failed task). `rollback` is true for `service rollback`.
 */
export async function waitForUpdate(ctx: CommandContext, api: ControlApi, serviceId: string, rollback: boolean, timeoutMs = GIVE_UP_MS): Promise<void> {
  let last = '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listing = await api.listTasks({ service: serviceId, desiredStates: [] });
    const p = updateProgressOf(listing.service!, listing.tasks);
    const line = `overall progress: ${p.updated} out of ${p.desired} tasks (${stateWord(p.state)})`;
    if (line !== last) ctx.out(`${(last = line)}\n`);
    switch (p.state) {
      case UpdateState.UPDATE_STATE_COMPLETED:
        if (!rollback) return void ctx.out('verify: Service converged\n');
        break;
      case UpdateState.UPDATE_STATE_ROLLBACK_COMPLETED:
        if (rollback) return void ctx.out('rollback: rollback complete\nverify: Service converged\n');
        throw new CliError(`update rolled back: ${p.message}`);
      case UpdateState.UPDATE_STATE_PAUSED:
        throw new CliError(p.message);
      case UpdateState.UPDATE_STATE_ROLLBACK_PAUSED:
        throw new CliError(p.message);
      default:
        break;
    }
    if (Date.now() > deadline) throw new CliError(`update of service ${serviceId} still in progress after ${timeoutMs / 1000}s (see 'flotilla service inspect')`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function serviceUpdateCommand(ctx: CommandContext, ref: string, opts: ServiceUpdateOptions): Promise<void> {
  const api = ctx.connect();
  try {
    const current = (await api.getService(ref)).service!;
    const spec = applyUpdateFlags(current.spec!, opts);
    const res = await api.updateService({ service: current.id, spec, version: current.meta?.version ?? 0 });
    ctx.out(`${res.service?.spec?.annotations?.name ?? ref}\n`);
    if (!opts.detach) await waitForUpdate(ctx, api, current.id, false);
  } finally {
    api.close();
  }
}

export async function serviceRollbackCommand(ctx: CommandContext, ref: string, opts: { detach?: boolean }): Promise<void> {
  const api = ctx.connect();
  try {
    const res = await api.rollbackService(ref);
    ctx.out(`${res.service?.spec?.annotations?.name ?? ref}\n`);
    if (!opts.detach) await waitForUpdate(ctx, api, res.service!.id, true);
  } finally {
    api.close();
  }
}
