import type { Task } from '@flotilla/api';
import { isTerminal } from '@flotilla/api';

export const DEFAULT_TASK_HISTORY = 5;

export interface PruneOptions {
  /** Ended tasks to keep per slot (replicated) or per node (global). Default 5. */
  keep?: number;
}

/**
 * Which tasks to delete so each slot keeps at most `keep` ended tasks, the
 * most recent ones. A task is only ever deleted when it has ended AND the
 * orchestrator has let it go (desiredState past RUNNING): a failed task still
 * desired RUNNING is waiting for the restart supervisor and must stay.
 * Ids come back oldest first.
 */
export function pruneHistory(tasks: readonly Task[], options: PruneOptions = {}): string[] {
  const keep = options.keep ?? DEFAULT_TASK_HISTORY;
  if (!Number.isInteger(keep) || keep < 0) {
    throw new Error(`pruning task history: keep must be a whole number ≥ 0, got ${keep}`);
  }
  const groups = new Map<string, Task[]>();
  for (const t of tasks) {
    if (!isTerminal(t.desiredState) || !t.status || !isTerminal(t.status.state)) continue;
    const key = t.slot > 0 ? `${t.serviceId}/slot/${t.slot}` : `${t.serviceId}/node/${t.nodeId}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const doomed: Task[] = [];
  for (const ended of groups.values()) {
    if (ended.length <= keep) continue;
    ended.sort(newestFirst);
    doomed.push(...ended.slice(keep));
  }
  return doomed.sort(newestFirst).reverse().map((t) => t.id);
}

/** When a task last changed: its status time, else its meta times. */
function lastChange(t: Task): number {
  return t.status?.timestamp || t.meta?.updatedAt || t.meta?.createdAt || 0;
}

function newestFirst(a: Task, b: Task): number {
  return lastChange(b) - lastChange(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
