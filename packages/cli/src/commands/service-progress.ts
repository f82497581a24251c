import { ServiceMode, TaskState, type ListTasksResponse, type Service, type Task } from '@flotilla/api';
import type { ControlApi } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { stateWord } from '../output/task-format.js';

export interface ProgressSnapshot {
  /** "1/3" or a node id → the newest task's state there. */
  slots: Array<{ key: string; state: string }>;
  running: number;
  desired: number;
  converged: boolean;
  /** Set when waiting longer cannot help (the task was rejected: e.g. the image is missing). */
  failure?: string;
}

const wantsRunning = (t: Task) => t.desiredState === TaskState.TASK_STATE_RUNNING;
const isRunning = (t: Task) => t.status?.state === TaskState.TASK_STATE_RUNNING;

/** Pure: where a service stands against what it wants. */
export function progressOf(service: Service, tasks: readonly Task[]): ProgressSnapshot {
  const name = service.spec?.annotations?.name ?? service.id;
  const global = service.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL;
  const live = tasks.filter(wantsRunning);
  const desired = global ? live.length : (service.spec?.replicas ?? 0);
  const newest = new Map<string, Task>();
  for (const t of live) {
    const key = global ? t.nodeId : String(t.slot);
    const seen = newest.get(key);
    if (!seen || (seen.meta?.createdAt ?? 0) < (t.meta?.createdAt ?? 0)) newest.set(key, t);
  }
  const keys = global ? [...newest.keys()].sort() : Array.from({ length: desired }, (_, i) => String(i + 1));
  const slots = keys.map((key) => ({
    key: global ? key : `${key}/${desired}`,
    state: newest.has(key) ? stateWord(newest.get(key)!.status?.state ?? TaskState.TASK_STATE_NEW).toLowerCase() : 'new',
  }));
  const running = live.filter(isRunning).length;
  const runningAny = tasks.filter(isRunning).length;
  const rejected = [...newest.values()].find((t) => t.status?.state === TaskState.TASK_STATE_REJECTED);
  return {
    slots,
    running,
    desired,
    converged: running === desired && runningAny === desired && (desired > 0 || !global),
    ...(rejected ? { failure: `task ${name}.${global ? rejected.nodeId : rejected.slot} was rejected: ${rejected.status?.err || rejected.status?.message || 'no reason given'}` } : {}),
  };
}

const POLL_MS = 500;
const GIVE_UP_MS = 120_000;

/** Prints progress lines as they change until the service converges or clearly fails. */
export async function waitForConvergence(ctx: CommandContext, api: ControlApi, serviceId: string, timeoutMs = GIVE_UP_MS): Promise<void> {
  const shown = new Map<string, string>();
  let overall = '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let listing: ListTasksResponse;
    try {
      listing = await api.listTasks({ service: serviceId, desiredStates: [] });
    } catch (err) {
      if (err instanceof CliError && /not found/.test(err.message)) throw new CliError(`service ${serviceId} was removed while waiting for it to converge`);
      throw err;
    }
    const p = progressOf(listing.service!, listing.tasks);
    const line = `overall progress: ${p.running} out of ${p.desired} tasks`;
    if (line !== overall) ctx.out(`${(overall = line)}\n`);
    for (const slot of p.slots) {
      if (shown.get(slot.key) === slot.state) continue;
      shown.set(slot.key, slot.state);
      ctx.out(`${slot.key}: ${slot.state}\n`);
    }
    if (p.failure) throw new CliError(p.failure);
    if (p.converged) {
      ctx.out('verify: Service converged\n');
      return;
    }
    if (Date.now() > deadline) {
      throw new CliError(`service ${listing.service?.spec?.annotations?.name ?? serviceId} did not converge within ${timeoutMs / 1000}s; it keeps trying (see 'flotilla service ps')`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
