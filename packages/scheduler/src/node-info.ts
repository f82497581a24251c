import type { Node, Task } from '@flotilla/api';
import { isAtMostRunning } from '@flotilla/api';

/** Free capacity left on a node once the reservations of its live tasks are taken off. */
export interface Capacity {
  nanoCpus: number;
  memoryBytes: number;
}

/**
 * What the scheduler knows about one node while it places a batch: the node
 * itself, what is still free on it and how many live tasks it carries, in
 * total and per service. Updated as tasks are placed so later choices in the
 * same batch see earlier ones.
 */
export interface NodeInfo {
  node: Node;
  available: Capacity;
  totalTasks: number;
  tasksByService: Map<string, number>;
}

/**
 * A task occupies its node while both its actual and its desired state are at
 * most RUNNING; a task that has ended or is being shut down no longer counts.
 */
export function occupiesNode(task: Task): boolean {
  const state = task.status?.state;
  return (
    task.nodeId !== '' &&
    state !== undefined &&
    isAtMostRunning(state) &&
    isAtMostRunning(task.desiredState)
  );
}

export function reservationsOf(task: Task): Capacity {
  const r = task.spec?.resources?.reservations;
  return { nanoCpus: r?.nanoCpus ?? 0, memoryBytes: r?.memoryBytes ?? 0 };
}

/** Builds one NodeInfo per node from the tasks currently in the cluster. */
export function buildNodeInfos(nodes: readonly Node[], currentTasks: readonly Task[]): Map<string, NodeInfo> {
  const infos = new Map<string, NodeInfo>();
  for (const node of nodes) {
    const resources = node.description?.resources;
    infos.set(node.id, {
      node,
      available: { nanoCpus: resources?.nanoCpus ?? 0, memoryBytes: resources?.memoryBytes ?? 0 },
      totalTasks: 0,
      tasksByService: new Map(),
    });
  }
  for (const task of currentTasks) {
    if (!occupiesNode(task)) continue;
    const info = infos.get(task.nodeId);
    if (info) addTask(info, task);
  }
  return infos;
}

/** Records a task on a node: counts it and takes its reservations off the free capacity. */
export function addTask(info: NodeInfo, task: Task): void {
  const r = reservationsOf(task);
  info.available.nanoCpus -= r.nanoCpus;
  info.available.memoryBytes -= r.memoryBytes;
  info.totalTasks += 1;
  info.tasksByService.set(task.serviceId, (info.tasksByService.get(task.serviceId) ?? 0) + 1);
}
