import { ServiceMode, TaskState, isJobMode, taskSlotName, type ListTasksResponse, type Service, type Task } from '@flotilla/api';
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
  if (isJobMode(service.spec?.mode)) return jobProgressOf(service, tasks);
  const name = service.spec?.annotations?.name ?? service.id;
  const global = service.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL;
  const live = tasks.filter(wantsRunning);
  const desired = global ? live.length : (service.spec?.replicas ?? 0);
  // The newest task of each slot, whatever its desired state: a rejected task may already be
  // marked for shutdown by the restart supervisor and must still end the wait.
  const newest = new Map<string, Task>();
  for (const t of tasks) {
    const key = global ? t.nodeId : String(t.slot);
    const seen = newest.get(key);
    if (!seen || (seen.meta?.createdAt ?? 0) < (t.meta?.createdAt ?? 0)) newest.set(key, t);
  }
  const keys = global ? [...new Set(live.map((t) => t.nodeId))].sort() : Array.from({ length: desired }, (_, i) => String(i + 1));
  const slots = keys.map((key) => ({
    key: global ? key : `${key}/${desired}`,
    state: newest.has(key) ? stateWord(newest.get(key)!.status?.state ?? TaskState.TASK_STATE_NEW).toLowerCase() : 'new',
  }));
  const running = live.filter(isRunning).length;
  const runningAny = tasks.filter(isRunning).length;
  const rejected = keys.map((k) => newest.get(k)).find((t) => t?.status?.state === TaskState.TASK_STATE_REJECTED);
  return {
    slots,
    running,
    desired,
    converged: running === desired && runningAny === desired && (desired > 0 || !global),
    ...(rejected ? { failure: `task ${taskSlotName(name, rejected)} was rejected: ${rejected.status?.err || rejected.status?.message || 'no reason given'}` } : {}),
  };
}

/**
 * A job converges when its work is done: every completion of a replicated job, a completed task
 * on every node a global job runs on. `running`/`desired` count completions, as docker's job
 * progress does; a task that failed for good (not restarted) ends the wait with its error.
 */
export function jobProgressOf(service: Service, tasks: readonly Task[]): ProgressSnapshot {
  const name = service.spec?.annotations?.name ?? service.id;
  const global = service.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL_JOB;
  const iteration = service.jobStatus?.jobIteration ?? 0;
  const current = tasks.filter((t) => (t.jobIteration ?? 0) === iteration);
  const newest = new Map<string, Task>();
  for (const t of current) {
    const key = global ? t.nodeId : String(t.slot);
    const seen = newest.get(key);
    if (!seen || (seen.meta?.createdAt ?? 0) < (t.meta?.createdAt ?? 0)) newest.set(key, t);
  }
  const done = (t: Task) => t.status?.state === TaskState.TASK_STATE_COMPLETE;
  const completed = [...newest.values()].filter(done).length;
  const desired = global ? newest.size : (service.spec?.replicas ?? 0);
  const slots = [...newest.keys()].sort((a, b) => (global ? a.localeCompare(b) : Number(a) - Number(b))).map((key) => ({
    key: global ? key : `${key}/${desired}`,
    state: stateWord(newest.get(key)!.status?.state ?? TaskState.TASK_STATE_NEW).toLowerCase(),
  }));
  const failed = [...newest.values()].find(
    (t) => !wantsRunning(t) && !done(t) && (t.status?.state === TaskState.TASK_STATE_FAILED || t.status?.state === TaskState.TASK_STATE_REJECTED),
  );
  return {
    slots,
    running: completed,
    desired,
    converged: desired > 0 && completed === desired,
    ...(failed ? { failure: `task ${taskSlotName(name, failed)} failed: ${failed.status?.err || failed.status?.message || 'no reason given'}` } : {}),
  };
}

const POLL_MS = 500;
const GIVE_UP_MS = 120_000;

const STAGES = ['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running'];
const BAR_WIDTH = 50;

/** docker's per-slot bar: `[=========>        ]`, full at running. */
export function progressBar(state: string): string {
  const stage = STAGES.indexOf(state);
  if (stage < 0) return '';
  const filled = Math.round((BAR_WIDTH * (stage + 1)) / STAGES.length);
  return `[${'='.repeat(Math.max(0, filled - 1))}>${' '.repeat(BAR_WIDTH - filled)}]`;
}

/** The block a terminal shows, redrawn in place on every change. */
export function progressBlock(p: ProgressSnapshot): string[] {
  const width = Math.max(0, ...p.slots.map((s) => s.key.length + s.state.length + 2));
  return [
    `overall progress: ${p.running} out of ${p.desired} tasks`,
    ...p.slots.map((s) => `${`${s.key}: ${s.state}`.padEnd(width)}   ${progressBar(s.state)}`.trimEnd()),
  ];
}

/** Prints progress as it changes (redrawn on a terminal, line by line otherwise) until the service converges or clearly fails. */
export async function waitForConvergence(ctx: CommandContext, api: ControlApi, serviceId: string, timeoutMs = GIVE_UP_MS): Promise<void> {
  const shown = new Map<string, string>();
  let overall = '';
  let drawn: string[] = [];
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
    if (ctx.tty) {
      const block = progressBlock(p);
      if (block.join('\n') !== drawn.join('\n')) {
        // Up to the first line drawn last time, then each line cleared and written again.
        ctx.out(`${drawn.length ? `\x1b[${drawn.length}F` : ''}${block.map((l) => `\x1b[2K${l}\n`).join('')}`);
        drawn = block;
      }
    } else {
      const line = `overall progress: ${p.running} out of ${p.desired} tasks`;
      if (line !== overall) ctx.out(`${(overall = line)}\n`);
      for (const slot of p.slots) {
        if (shown.get(slot.key) === slot.state) continue;
        shown.set(slot.key, slot.state);
        ctx.out(`${slot.key}: ${slot.state}\n`);
      }
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
