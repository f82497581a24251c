import { TaskState, taskSlotName, taskStateToNumber, type Service, type Task } from '@flotilla/api';
import { humanDuration } from './human-duration.js';

/** "TASK_STATE_RUNNING" → "Running", as docker prints task states. */
export function stateWord(state: TaskState): string {
  const word = state.replace(/^TASK_STATE_/, '').toLowerCase();
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** docker's task name: `web.1` (replicated, by slot) or `web.<node id>` (global). */
export function taskDisplayName(task: Task, service: Service | undefined): string {
  const name = task.serviceName || service?.spec?.annotations?.name || task.serviceId;
  return taskSlotName(name, task);
}

/** `service ps` rows: per slot (or node), newest task first and its history under ` \_ `. */
export function orderTasks(tasks: readonly Task[]): Array<{ task: Task; history: boolean }> {
  const groups = new Map<string, Task[]>();
  for (const t of tasks) {
    const key = t.slot > 0 ? `slot:${String(t.slot).padStart(10, '0')}` : `node:${t.nodeId}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const rows: Array<{ task: Task; history: boolean }> = [];
  for (const key of [...groups.keys()].sort()) {
    const group = groups.get(key)!.sort((a, b) => (b.meta?.createdAt ?? 0) - (a.meta?.createdAt ?? 0) || b.id.localeCompare(a.id));
    group.forEach((task, i) => rows.push({ task, history: i > 0 }));
  }
  return rows;
}

export function currentState(task: Task, now: number): string {
  const state = task.status?.state ?? TaskState.TASK_STATE_NEW;
  const since = task.status?.timestamp || task.meta?.updatedAt || now;
  return `${stateWord(state)} ${humanDuration(Math.max(0, now - since))} ago`;
}

export function isFailedEnd(state: TaskState | undefined): boolean {
  return state === TaskState.TASK_STATE_FAILED || state === TaskState.TASK_STATE_REJECTED;
}

export function rankOf(state: TaskState | undefined): number {
  return taskStateToNumber(state ?? TaskState.TASK_STATE_NEW);
}
