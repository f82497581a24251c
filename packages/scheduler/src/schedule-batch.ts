import type { Node, Task } from '@flotilla/api';
import { addTask, buildNodeInfos, type NodeInfo } from './node-info.js';
import { Pipeline } from './pipeline.js';
import type { Filter } from './filters/filter.js';
import { pickSpread } from './strategy/spread.js';
import { SpreadQueue } from './strategy/spread-queue.js';
import { PreferenceTree } from './strategy/preference-tree.js';

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
 * Tasks of one service that the filters treat alike share a queue of nodes (or, with placement
 * preferences, a tree of them): `take` the best node that fits, `placed` once it is counted.
 */
interface Group {
  take: (fits: (info: NodeInfo) => boolean) => NodeInfo | undefined;
  placed: (info: NodeInfo) => void;
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

    const preferences = (task.spec?.placement?.preferences ?? []).map((p) => p.spread);
    const key = pipeline.groupKey(task);
    if (key === undefined) {
      const { eligible, reason } = pipeline.run(task, allNodes, true);
      const chosen = preferences.length > 0 ? new PreferenceTree(task.serviceId, preferences, allNodes, eligible).take(() => true) : pickSpread(task.serviceId, eligible);
      place(task, chosen, () => reason ?? 'no suitable node');
      continue;
    }
    const groupKey = `${task.serviceId}\u0002${key}\u0002${preferences.join('\n')}`;
    let group = groups.get(groupKey);
    if (!group) {
      const survivors = pipeline.staticSurvivors(task, allNodes);
      const fits = pipeline.dynamicFits(task);
      if (preferences.length > 0) {
        const tree = new PreferenceTree(task.serviceId, preferences, allNodes, survivors);
        group = { take: (f) => tree.take(f), placed: (info) => tree.record(info), fits };
      } else {
        const queue = new SpreadQueue(task.serviceId, survivors);
        group = { take: (f) => queue.take(f), placed: (info) => queue.push(info), fits };
      }
      groups.set(groupKey, group);
    }
    const chosen = group.take(group.fits);
    const g = group;
    place(task, chosen, () => (g.reason ??= pipeline.run(task, allNodes, true).reason ?? 'no suitable node'));
    if (chosen) group.placed(chosen);
  }
  return result;
}
