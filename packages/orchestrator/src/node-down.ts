import { NodeState, type Node, type Task } from '@flotilla/api';
import { shutdown, type Action, type MarkOrphaned } from './actions.js';
import { isLive } from './slots.js';
import { isAtMostRunning } from '@flotilla/api';

/** How long a node may stay DOWN before its tasks are written off as ORPHANED (swarm: 24 h). */
export const DEFAULT_ORPHAN_AFTER_MS = 24 * 60 * 60 * 1000;

export interface NodeDownResult {
  /** desiredState SHUTDOWN for every live task on the node. */
  actions: Action[];
  /** Services that lost tasks: the edge reconciles each, and replicated ones get replacements. */
  serviceIds: string[];
}

/**
 * A node went DOWN:
 * its live tasks are let go so their slots free up and the replicated
 * reconciler places replacements elsewhere. Losing a node is not the task's
 * failure, so restart policy and attempts do not apply. The tasks keep their
 * observed state until the node returns (its agent then stops them) or
 * `orphanTasks` writes them off.
 */
export function releaseTasksOfDownNode(node: Node, tasks: readonly Task[]): NodeDownResult {
  if (node.status?.state !== NodeState.NODE_STATE_DOWN) return { actions: [], serviceIds: [] };
  return releaseTasksOnNode(node.id, tasks, `node ${node.id} is down`);
}

/** Same as for a down node, for a node removed from the cluster. */
export function releaseTasksOfRemovedNode(nodeId: string, tasks: readonly Task[]): NodeDownResult {
  return releaseTasksOnNode(nodeId, tasks, `node ${nodeId} was removed`);
}

function releaseTasksOnNode(nodeId: string, tasks: readonly Task[], reason: string): NodeDownResult {
  const lost = tasks.filter((t) => t.nodeId === nodeId && isLive(t));
  return {
    actions: lost.map((t) => shutdown(t.id, reason)),
    serviceIds: [...new Set(lost.map((t) => t.serviceId))].sort(),
  };
}

/**
 * Once a node has been DOWN for `orphanAfterMs`, tasks on it that never
 * reported an end are marked ORPHANED: nobody will ever hear from them again.
 */
export function orphanTasks(
  node: Node,
  tasks: readonly Task[],
  downSince: number,
  now: number,
  orphanAfterMs: number = DEFAULT_ORPHAN_AFTER_MS,
): MarkOrphaned[] {
  if (node.status?.state !== NodeState.NODE_STATE_DOWN || now - downSince < orphanAfterMs) return [];
  return tasks
    .filter((t) => t.nodeId === node.id && t.status !== undefined && isAtMostRunning(t.status.state))
    .map((t) => ({ type: 'mark-orphaned', taskId: t.id, reason: `node ${node.id} has been down since ${new Date(downSince).toISOString()}` }));
}
