import { ServiceMode, type Task } from '@flotilla/api';
import { shutdown, type Action } from '../actions.js';
import { nodeFit, type GlobalInput } from '../global/reconcile.js';
import { newTask } from '../new-task.js';
import { isLive } from '../slots.js';
import { isStale, iterationStart, jobIteration, unitState } from './iteration.js';

/** The same inputs as a global service's reconciler. */
export type GlobalJobInput = GlobalInput;

/**
 * A global job: one completion on every eligible node that was in the cluster when the iteration
 * began (docker: a global job does not follow nodes that join later; `service update --force`
 * runs it again on all of them). A node whose task of the current iteration completed, is still
 * running, or failed for good gets nothing more; a ready, active, eligible node without one gets
 * a task created on it. Tasks on nodes that are down, drained, no longer eligible or gone are
 * shut down (the node runs the job again once it is usable, as in SwarmKit), as are the live
 * tasks of an earlier iteration.
 */
export function reconcileGlobalJob(input: GlobalJobInput): Action[] {
  const { service } = input;
  if (service.spec?.mode !== ServiceMode.SERVICE_MODE_GLOBAL_JOB) {
    throw new Error(`reconciling service ${service.id} as a global job: its mode is ${service.spec?.mode}`);
  }
  const own = input.tasks.filter((t) => t.serviceId === service.id && t.nodeId !== '');
  const iteration = jobIteration(service);
  const began = iterationStart(service);
  const actions: Action[] = own
    .filter((t) => isLive(t) && isStale(t, service))
    .map((t) => shutdown(t.id, `job iteration ${iteration} replaces it`));
  const byNode = new Map<string, Task[]>();
  for (const t of own) if (!isStale(t, service)) byNode.set(t.nodeId, [...(byNode.get(t.nodeId) ?? []), t]);

  const known = new Set<string>();
  for (const node of [...input.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    known.add(node.id);
    const tasks = byNode.get(node.id) ?? [];
    const { fit, why } = nodeFit(node, input.isEligible);
    if (fit === 'none') {
      actions.push(...tasks.filter(isLive).map((t) => shutdown(t.id, why)));
      continue;
    }
    const joinedLater = (node.meta?.createdAt ?? 0) > began;
    if (fit === 'new-tasks' && !joinedLater && unitState(tasks) === 'free') {
      actions.push({ type: 'create', task: newTask(service, { slot: 0, nodeId: node.id, now: input.now, ...(input.newId ? { newId: input.newId } : {}) }) });
    }
  }
  for (const [nodeId, tasks] of byNode) {
    if (!known.has(nodeId)) actions.push(...tasks.filter(isLive).map((t) => shutdown(t.id, `node ${nodeId} left the cluster`)));
  }
  return actions;
}
