import { TaskState, type Task } from '@flotilla/api';
import type { Action } from '../src/actions.js';

/**
 * Applies actions to a task list the way the store edge would, so tests can
 * follow a service through several rounds of changes.
 */
export function apply(tasks: readonly Task[], actions: readonly Action[]): Task[] {
  const next = new Map(tasks.map((t) => [t.id, { ...t }]));
  for (const a of actions) {
    if (a.type === 'create') {
      if (next.has(a.task.id)) throw new Error(`task ${a.task.id} created twice`);
      next.set(a.task.id, a.task);
      continue;
    }
    const t = next.get(a.taskId);
    if (!t) throw new Error(`${a.type} of unknown task ${a.taskId}`);
    if (a.type === 'shutdown') t.desiredState = a.desiredState ?? TaskState.TASK_STATE_SHUTDOWN;
    else t.status = { ...t.status!, state: TaskState.TASK_STATE_ORPHANED };
  }
  return [...next.values()];
}
