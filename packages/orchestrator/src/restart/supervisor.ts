import {
  NodeAvailability,
  RestartCondition,
  TaskState,
  formatDuration,
  type Node,
  type RestartPolicy,
  type Task,
} from '@flotilla/api';
import { isTerminal } from '@flotilla/api';

export interface RestartInput {
  /** The task whose end is being decided on. */
  task: Task;
  /**
   * The other tasks of the same slot (replicated) or of the same service on
   * the same node (global), in any order; may include `task` itself.
   */
  history: readonly Task[];
  now: number;
  /** The node the task ran on, if still known: no delay on a drained node. */
  node?: Node;
  /** The task belongs to a job (replicated-job, global-job): it is never restarted once it completed. */
  job?: boolean;
}

export type RestartDecision =
  | { kind: 'restart-now'; reason: string }
  | { kind: 'restart-at'; at: number; reason: string }
  /** `completed`: a job's task finished its work (its desired state becomes COMPLETE, not SHUTDOWN). */
  | { kind: 'give-up'; reason: string; completed?: boolean }
  /** Nothing to decide: the task has not ended, or was already shut down on purpose. */
  | { kind: 'no-action'; reason: string };

/**
 * Applies the task's restart policy to its end. Pure: the answer depends only
 * on the task, its slot's history and `now`.
 *
 * Attempts are counted from the history: tasks of the slot with the same
 * specVersion as the ended one (an update starts the count afresh), each one
 * after the first being a restart. With a window, only restarts created in
 * the window that ends when this task ended count, as in swarm. History that
 * was pruned is not counted, so the edge should keep at least maxAttempts + 1
 * tasks per slot for services that set maxAttempts.
 *
 * The delay runs from the moment the task ended (status.timestamp), so a
 * manager that sees the end late does not wait twice.
 */
export function decideRestart(input: RestartInput): RestartDecision {
  const { task, now } = input;
  const state = task.status?.state ?? TaskState.TASK_STATE_NEW;
  if (!isTerminal(task.desiredState) && !isTerminal(state)) {
    return { kind: 'no-action', reason: `task ${task.id} has not ended (${state})` };
  }
  if (isTerminal(task.desiredState)) {
    return { kind: 'no-action', reason: `task ${task.id} was already shut down (desired ${task.desiredState})` };
  }
  const policy = task.spec?.restart ?? defaultPolicy();
  const ended = describeEnd(task);

  if (input.job && state === TaskState.TASK_STATE_COMPLETE) {
    return { kind: 'give-up', reason: `${ended}; a job's task is not restarted once it completes`, completed: true };
  }
  if (policy.condition === RestartCondition.RESTART_CONDITION_NONE) {
    return { kind: 'give-up', reason: `${ended}; restart condition is none` };
  }
  if (policy.condition === RestartCondition.RESTART_CONDITION_ON_FAILURE && state === TaskState.TASK_STATE_COMPLETE) {
    return { kind: 'give-up', reason: `${ended}; restart condition is on-failure` };
  }

  const endedAt = task.status?.timestamp || now;
  const within = policy.windowMs > 0 ? ` within ${formatDuration(policy.windowMs)}` : '';
  let attempt = '';
  if (policy.maxAttempts > 0) {
    const restarts = countRestarts(task, input.history, endedAt, policy.windowMs);
    if (restarts >= policy.maxAttempts) {
      return {
        kind: 'give-up',
        reason: `${ended}; reached the maximum of ${policy.maxAttempts} restart attempt${policy.maxAttempts === 1 ? '' : 's'}${within}`,
      };
    }
    attempt = ` (attempt ${restarts + 1} of ${policy.maxAttempts}${within})`;
  }

  const drained = input.node?.spec?.availability === NodeAvailability.NODE_AVAILABILITY_DRAIN;
  const at = endedAt + (drained ? 0 : Math.max(0, policy.delayMs));
  if (at <= now) return { kind: 'restart-now', reason: `${ended}; restarting${attempt}` };
  return {
    kind: 'restart-at',
    at,
    reason: `${ended}; restarting after ${formatDuration(policy.delayMs)}${attempt}`,
  };
}

/** Swarm's defaults for a task that carries no policy: always restart, no limit. */
function defaultPolicy(): RestartPolicy {
  return { condition: RestartCondition.RESTART_CONDITION_ANY, delayMs: 0, maxAttempts: 0, windowMs: 0 };
}

/** Restarts of this task's slot and spec version that happened before it ended (within the window). */
function countRestarts(task: Task, history: readonly Task[], endedAt: number, windowMs: number): number {
  const byId = new Map<string, Task>([[task.id, task]]);
  for (const t of history) if (t.serviceId === task.serviceId && t.specVersion === task.specVersion) byId.set(t.id, t);
  const created = (t: Task): number => t.meta?.createdAt ?? 0;
  const generation = [...byId.values()].sort((a, b) => created(a) - created(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const lookback = windowMs > 0 ? endedAt - windowMs : -Infinity;
  return generation.slice(1).filter((t) => created(t) <= endedAt && created(t) > lookback).length;
}

function describeEnd(task: Task): string {
  const exit = task.status?.container?.exitCode;
  switch (task.status?.state) {
    case TaskState.TASK_STATE_COMPLETE:
      return `task ${task.id} completed`;
    case TaskState.TASK_STATE_FAILED:
      return `task ${task.id} failed${exit ? ` with exit code ${exit}` : ''}`;
    case TaskState.TASK_STATE_REJECTED:
      return `task ${task.id} was rejected${task.status.err ? ` (${task.status.err})` : ''}`;
    case TaskState.TASK_STATE_SHUTDOWN:
      return `task ${task.id} shut down`;
    default:
      return `task ${task.id} ended (${task.status?.state})`;
  }
}
