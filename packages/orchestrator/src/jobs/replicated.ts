import { ServiceMode, type Task } from '@flotilla/api';
import type { ReplicatedInput } from '../replicated/reconcile.js';
import { shutdown, type Action } from '../actions.js';
import { newTask } from '../new-task.js';
import { groupBySlot, isLive } from '../slots.js';
import { isStale, jobIteration, unitState } from './iteration.js';

/** The same inputs as a replicated service's reconciler. */
export type ReplicatedJobInput = ReplicatedInput;

/**
 * A replicated job: `spec.replicas` completions in all, at most `spec.maxConcurrent` tasks at
 * once (docker's --max-concurrent; 0 reads as replicas). Each task of an iteration gets a slot of
 * its own; a completed slot is never run again, a slot whose task failed is the restart
 * supervisor's (same slot), and one it gave up on counts as done-with-failure so a job that
 * cannot succeed does not loop. Tasks of an earlier iteration (before `service update`, `--force`
 * included) are shut down and the new iteration starts from zero completions.
 *
 * Returns the tasks to create now: min(maxConcurrent, replicas - finished) - running, in the
 * lowest slot numbers the iteration has not used. Never shuts down a running task of the current
 * iteration (lowering --max-concurrent only slows what comes next), as in SwarmKit.
 */
export function reconcileReplicatedJob(input: ReplicatedJobInput): Action[] {
  const { service } = input;
  if (service.spec?.mode !== ServiceMode.SERVICE_MODE_REPLICATED_JOB) {
    throw new Error(`reconciling service ${service.id} as a replicated job: its mode is ${service.spec?.mode}`);
  }
  const own = input.tasks.filter((t) => t.serviceId === service.id);
  const iteration = jobIteration(service);
  const actions: Action[] = own
    .filter((t) => isLive(t) && isStale(t, service))
    .map((t) => shutdown(t.id, `job iteration ${iteration} replaces it`));

  const current = own.filter((t) => !isStale(t, service) && t.slot > 0);
  const slots = groupBySlot(current);
  let finished = 0;
  let running = 0;
  for (const tasks of slots.values()) {
    const state = unitState(tasks);
    if (state === 'completed' || state === 'failed') finished += 1;
    else if (state === 'running') running += 1;
  }
  const total = service.spec.replicas;
  const concurrent = service.spec.maxConcurrent > 0 ? service.spec.maxConcurrent : total;
  const toCreate = Math.min(concurrent, total - finished) - running;
  let slot = 1;
  for (let i = 0; i < toCreate; i++) {
    // A free slot (its task was lost with a node) is used again before new numbers.
    while (slots.has(slot) && unitState(slots.get(slot)!) !== 'free') slot++;
    actions.push({ type: 'create', task: newTask(service, { slot, nodeId: '', now: input.now, ...(input.newId ? { newId: input.newId } : {}) }) });
    slot++;
  }
  return actions;
}
