import type { Node, Task } from '@flotilla/api';
import { addTask, buildNodeInfos, type NodeInfo } from './node-info.js';
import { Pipeline } from './pipeline.js';
import type { Filter } from './filters/filter.js';
import { pickSpread } from './strategy/spread.js';
import { SpreadQueue } from './strategy/spread-queue.js';

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

/** Tasks of one service that the filters treat alike share a queue of nodes. */
interface Group {
  queue: SpreadQueue;
  fits: (info: NodeInfo) => boolean;
  /** Once the queue runs dry it stays dry for the batch; the reason is worked out once. */
  reason?: string;
}

/**
 * Places pending tasks one at a time, in the order given, each on the best
 * node by spread that passes every filter. Each placement is counted before
 * the next task is looked at, so a batch spreads evenly and never oversubscribes
 * a node. A task that already names a node (global services) is only checked
 * against that node.
 *
 * `currentTasks` are the tasks already in the cluster; those that occupy a
 * node (see occupiesNode) count for spread and resources, except the pending
 * tasks themselves if they appear there too. Pure: inputs are not modified.
 */
export function scheduleBatch(
  pendingTasks: readonly Task[],
  nodes: readonly Node[],
  currentTasks: readonly Task[],
  options: ScheduleOptions = {},
): ScheduleResult {
  const pipeline = new Pipeline(options.filters);
  // The edge may pass the whole task table as currentTasks: a pending task
  // already naming its node (global) must not be counted before it is placed.
  const pendingIds = new Set(pendingTasks.map((t) => t.id));
  const infos = buildNodeInfos(nodes, currentTasks.filter((t) => !pendingIds.has(t.id)));
  const allNodes = [...infos.values()];
  const groups = new Map<string, Group>();
  const result: ScheduleResult = { assignments: [], unassigned: [] };

  const place = (task: Task, chosen: NodeInfo | undefined, reason: () => string): void => {
    if (!chosen) {
      result.unassigned.push({ taskId: task.id, reason: reason() });
      return;
    }
    addTask(chosen, task);
    result.assignments.push({ taskId: task.id, nodeId: chosen.node.id });
  };

  for (const task of pendingTasks) {
    if (task.nodeId !== '') {
      const pinned = infos.get(task.nodeId);
      if (!pinned) {
        place(task, undefined, () => `no suitable node (node ${task.nodeId} is not in the cluster)`);
        continue;
      }
      const { eligible, reason } = pipeline.run(task, [pinned], false);
      place(task, pickSpread(task.serviceId, eligible), () => reason ?? 'no suitable node');
      continue;
    }

    const key = pipeline.groupKey(task);
    if (key === undefined) {
      const { eligible, reason } = pipeline.run(task, allNodes, true);
      place(task, pickSpread(task.serviceId, eligible), () => reason ?? 'no suitable node');
      continue;
    }
    const groupKey = `${task.serviceId}\u0002${key}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = {
        queue: new SpreadQueue(task.serviceId, pipeline.staticSurvivors(task, allNodes)),
        fits: pipeline.dynamicFits(task),
      };
      groups.set(groupKey, group);
    }
    const chosen = group.queue.take(group.fits);
    const g = group;
    place(task, chosen, () => (g.reason ??= pipeline.run(task, allNodes, true).reason ?? 'no suitable node'));
    if (chosen) group.queue.push(chosen);
  }
  return result;
}
