import type { Node, Task } from '@flotilla/api';
import { addTask, buildNodeInfos, type NodeInfo } from './node-info.js';
import { DEFAULT_FILTERS, PreparedPipeline } from './pipeline.js';
import type { Filter } from './filters/filter.js';
import { pickSpread } from './strategy/spread.js';

export interface Assignment {
  taskId: string;
  nodeId: string;
}

export interface Unassigned {
  taskId: string;
  /** Pending reason for the task's status, e.g. "no suitable node (1 node not ready)". */
  reason: string;
}

export interface ScheduleResult {
  assignments: Assignment[];
  unassigned: Unassigned[];
}

export interface ScheduleOptions {
  filters?: readonly Filter[];
}

/**
 * Places pending tasks one at a time, in the order given, each on the best
 * node by spread that passes every filter. Each placement is counted before
 * the next task is looked at, so a batch spreads evenly and never oversubscribes
 * a node. A task that already names a node (global services) is only checked
 * against that node.
 *
 * `currentTasks` are the tasks already in the cluster; those that occupy a
 * node (see occupiesNode) count for spread and resources. Pure: inputs are not
 * modified.
 */
export function scheduleBatch(
  pendingTasks: readonly Task[],
  nodes: readonly Node[],
  currentTasks: readonly Task[],
  options: ScheduleOptions = {},
): ScheduleResult {
  const filters = options.filters ?? DEFAULT_FILTERS;
  const infos = buildNodeInfos(nodes, currentTasks);
  const allNodes = [...infos.values()];
  const result: ScheduleResult = { assignments: [], unassigned: [] };

  for (const task of pendingTasks) {
    const candidates = candidatesFor(task, infos, allNodes);
    if (candidates === undefined) {
      result.unassigned.push({
        taskId: task.id,
        reason: `no suitable node (node ${task.nodeId} is not in the cluster)`,
      });
      continue;
    }
    const { eligible, reason } = new PreparedPipeline(task, filters).run(candidates);
    const chosen = pickSpread(task.serviceId, eligible);
    if (!chosen) {
      result.unassigned.push({ taskId: task.id, reason: reason ?? 'no suitable node' });
      continue;
    }
    addTask(chosen, task);
    result.assignments.push({ taskId: task.id, nodeId: chosen.node.id });
  }
  return result;
}

function candidatesFor(
  task: Task,
  infos: Map<string, NodeInfo>,
  allNodes: NodeInfo[],
): NodeInfo[] | undefined {
  if (task.nodeId === '') return allNodes;
  const pinned = infos.get(task.nodeId);
  return pinned ? [pinned] : undefined;
}
