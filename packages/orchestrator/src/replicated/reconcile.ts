import { ServiceMode, type Service, type Task } from '@flotilla/api';
import { shutdown, type Action } from '../actions.js';
import { newTask } from '../new-task.js';
import { groupBySlot, isLive, isRunning } from '../slots.js';

export interface ReplicatedInput {
  service: Service;
  /** Every task of this service (any state); tasks of other services are ignored. */
  tasks: readonly Task[];
  now: number;
  newId?: () => string;
}

/**
 * Brings a replicated service to `spec.replicas` live slots. A slot is live
 * when one of its tasks is still wanted (desiredState ≤ RUNNING), even if that
 * task has failed: a failed task of a live slot belongs to the restart
 * supervisor. A slot whose tasks were all shut down (given up by the
 * supervisor, scaled away, or lost with its node) is free again.
 *
 * - Too few live slots: new tasks for the lowest free slot numbers.
 * - Too many: shut down whole slots, those with no running task first, then
 *   the highest slot numbers first.
 */
export function reconcileReplicated(input: ReplicatedInput): Action[] {
  const { service } = input;
  const mode = service.spec?.mode ?? ServiceMode.SERVICE_MODE_REPLICATED;
  if (mode !== ServiceMode.SERVICE_MODE_REPLICATED) {
    throw new Error(`reconciling service ${service.id} as replicated: its mode is ${mode}`);
  }
  const wanted = service.spec?.replicas ?? 0;
  const own = input.tasks.filter((t) => t.serviceId === service.id && t.slot > 0);
  const liveSlots = [...groupBySlot(own)]
    .map(([slot, tasks]) => ({ slot, live: tasks.filter(isLive) }))
    .filter((s) => s.live.length > 0);

  if (liveSlots.length < wanted) {
    return freeSlotNumbers(new Set(liveSlots.map((s) => s.slot)), wanted - liveSlots.length).map(
      (slot): Action => ({
        type: 'create',
        task: newTask(service, { slot, nodeId: '', now: input.now, ...(input.newId ? { newId: input.newId } : {}) }),
      }),
    );
  }

  const surplus = liveSlots.length - wanted;
  if (surplus === 0) return [];
  const running = (s: { live: Task[] }): number => (s.live.some(isRunning) ? 1 : 0);
  const victims = [...liveSlots]
    .sort((a, b) => running(a) - running(b) || b.slot - a.slot)
    .slice(0, surplus);
  const reason = `scaled down to ${wanted} replica${wanted === 1 ? '' : 's'}`;
  return victims.flatMap((s) => s.live.map((t) => shutdown(t.id, reason)));
}

/** The `count` lowest slot numbers (from 1) not in `taken`. */
function freeSlotNumbers(taken: Set<number>, count: number): number[] {
  const free: number[] = [];
  for (let slot = 1; free.length < count; slot++) {
    if (!taken.has(slot)) free.push(slot);
  }
  return free;
}
