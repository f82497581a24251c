import { TaskState, isJobMode, type Service, type Task } from '@flotilla/api';
import { isLive } from '../slots.js';

/** The run a job is on: every spec change (`service update`, `--force` too) starts the next. */
export function jobIteration(service: Service): number {
  return service.jobStatus?.jobIteration ?? 0;
}

/** When the current iteration began: set by `service update`, else the service's creation. */
export function iterationStart(service: Service): number {
  return service.jobStatus?.lastExecution || service.meta?.createdAt || 0;
}

export function isJob(service: Service | undefined): boolean {
  return isJobMode(service?.spec?.mode);
}

/** A task of an earlier run of the job. */
export function isStale(task: Task, service: Service): boolean {
  return (task.jobIteration ?? 0) !== jobIteration(service);
}

/** A job's task that exited 0: its unit of work is done for this iteration. */
export function completed(task: Task): boolean {
  return task.status?.state === TaskState.TASK_STATE_COMPLETE;
}

/**
 * A unit (replicated slot, global node) whose work ended for good in failure: a task failed or
 * was rejected and nothing took its place (the restart supervisor gave up: condition none, or
 * max attempts). It is not run again in this iteration, so a job that cannot succeed does not
 * loop. A unit whose tasks were only shut down (node lost or drained) is not failed: it runs again.
 */
export function failedForGood(tasks: readonly Task[]): boolean {
  if (tasks.some(isLive)) return false;
  return tasks.some((t) => t.status?.state === TaskState.TASK_STATE_FAILED || t.status?.state === TaskState.TASK_STATE_REJECTED);
}

export type UnitState = 'completed' | 'failed' | 'running' | 'free';

/** Where one unit of the current iteration stands, from all of its tasks of that iteration. */
export function unitState(tasks: readonly Task[]): UnitState {
  if (tasks.some(completed)) return 'completed';
  if (tasks.some(isLive)) return 'running';
  if (failedForGood(tasks)) return 'failed';
  return 'free';
}
