import { TaskState, taskStateToNumber } from './gen/flotilla/task.js';

// Enum values are strings; the proto numbers carry the order of the task life.
const rank = (s: TaskState): number => taskStateToNumber(s);
const RUNNING = rank(TaskState.TASK_STATE_RUNNING);

/** The task is not past RUNNING: it is on its way up, or running. */
export function isAtMostRunning(state: TaskState): boolean {
  return rank(state) <= RUNNING;
}

/** The task has ended (COMPLETE, SHUTDOWN, FAILED, REJECTED, REMOVE, ORPHANED). */
export function isTerminal(state: TaskState): boolean {
  return rank(state) > RUNNING;
}

/** desiredState only moves forward: true when `to` is later than `from`. */
export function isLater(to: TaskState, from: TaskState): boolean {
  return rank(to) > rank(from);
}
