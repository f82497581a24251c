import { TaskState, type Task } from '@flotilla/api';
import { isAtMostRunning } from '@flotilla/api';

/** A task still wanted: its desiredState has not gone past RUNNING. */
export function isLive(task: Task): boolean {
  return isAtMostRunning(task.desiredState);
}

export function isRunning(task: Task): boolean {
  return task.status?.state === TaskState.TASK_STATE_RUNNING;
}

/** Tasks grouped by slot number (replicated services), slots in ascending order. */
export function groupBySlot(tasks: readonly Task[]): Map<number, Task[]> {
  const bySlot = new Map<number, Task[]>();
  for (const t of [...tasks].sort((a, b) => a.slot - b.slot)) {
    const list = bySlot.get(t.slot) ?? [];
    list.push(t);
    bySlot.set(t.slot, list);
  }
  return bySlot;
}
