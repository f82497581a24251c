import { TaskState, taskStateToNumber } from '@flotilla/api';

// The enum values are strings on the wire side; the proto numbers carry the order.
const RUNNING_RANK = taskStateToNumber(TaskState.TASK_STATE_RUNNING);

/** True while a task may still run or is running: it holds its node's resources. */
export function isAtMostRunning(state: TaskState): boolean {
  return taskStateToNumber(state) <= RUNNING_RANK;
}
