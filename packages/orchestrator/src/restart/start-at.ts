import type { Task } from '@flotilla/api';
import { TaskState } from '@flotilla/api';
import { isTerminal } from '@flotilla/api';

/**
 * When a delayed replacement (desiredState READY) should be moved to RUNNING:
 * its predecessor's end plus the restart delay. The predecessor is the newest
 * task of the same slot (or node, for global services) created before it and
 * already let go. Lets a new leader rebuild the timers the old one held;
 * undefined when the task is not waiting or has no known predecessor (start it now).
 */
export function delayedStartAt(replacement: Task, history: readonly Task[]): number | undefined {
  if (replacement.desiredState !== TaskState.TASK_STATE_READY) return undefined;
  const created = (t: Task): number => t.meta?.createdAt ?? 0;
  const sameSlot = (t: Task): boolean =>
    t.serviceId === replacement.serviceId &&
    (replacement.slot > 0 ? t.slot === replacement.slot : t.nodeId === replacement.nodeId);
  const predecessor = history
    .filter((t) => t.id !== replacement.id && sameSlot(t) && isTerminal(t.desiredState))
    .filter((t) => created(t) <= created(replacement))
    .sort((a, b) => created(b) - created(a))[0];
  if (!predecessor) return undefined;
  const endedAt = predecessor.status?.timestamp || created(replacement);
  return endedAt + Math.max(0, replacement.spec?.restart?.delayMs ?? 0);
}
