// An in-memory DispatcherBackend. It is a fake only because the replicated store is not
// wired to the dispatcher yet (flotillad will implement DispatcherBackend over it); every
// other part of these tests is real: nats-server, TLS, the bus, Docker.
import { NodeState, Task, TaskState, type NodeDescription } from '@flotilla/api';
import type { AssignmentChange, AssignmentWatch, DispatcherBackend, TaskStatusWrite } from '../../src/backend.js';

export interface MemoryNode {
  state: NodeState;
  message: string;
  description: NodeDescription | undefined;
}

export class MemoryDispatcherBackend implements DispatcherBackend {
  readonly tasks = new Map<string, Task>();
  readonly nodes = new Map<string, MemoryNode>();
  readonly statusBatches: TaskStatusWrite[][] = [];
  private readonly watchers = new Map<string, Set<(c: AssignmentChange) => void>>();

  /** What `managerAddrs()` answers; tests change it to see heartbeats follow. */
  managers: string[] = [];

  constructor(public periodMs = 1_000) {}

  /** Assigns (or updates) a task; its node's watchers hear about it. */
  put(task: Task): Task {
    const before = this.tasks.get(task.id);
    this.tasks.set(task.id, task);
    if (before && before.nodeId !== task.nodeId) this.notify(before.nodeId, { updated: [], removed: [task.id] });
    this.notify(task.nodeId, { updated: [task], removed: [] });
    return task;
  }

  setDesiredState(taskId: string, desiredState: TaskState): void {
    const t = this.tasks.get(taskId);
    if (!t) throw new Error(`no task ${taskId}`);
    this.put({ ...t, desiredState });
  }

  /** Deletes a task (the reaper did); its node's watchers hear it was removed. */
  delete(taskId: string): void {
    const t = this.tasks.get(taskId);
    if (!t) return;
    this.tasks.delete(taskId);
    this.notify(t.nodeId, { updated: [], removed: [taskId] });
  }

  stateOf(taskId: string): TaskState | undefined {
    return this.tasks.get(taskId)?.status?.state;
  }

  watcherCount(nodeId: string): number {
    return this.watchers.get(nodeId)?.size ?? 0;
  }

  async listTasksForNode(nodeId: string): Promise<Task[]> {
    return [...this.tasks.values()].filter((t) => t.nodeId === nodeId);
  }

  watchAssignments(nodeId: string, onChange: (change: AssignmentChange) => void): AssignmentWatch {
    let set = this.watchers.get(nodeId);
    if (!set) this.watchers.set(nodeId, (set = new Set()));
    set.add(onChange);
    return { stop: () => set.delete(onChange) };
  }

  async updateTaskStatuses(batch: TaskStatusWrite[]): Promise<void> {
    for (const w of batch) {
      const t = this.tasks.get(w.taskId);
      if (t) this.tasks.set(w.taskId, { ...t, status: w.status });
    }
    this.statusBatches.push(batch);
  }

  async markNodeReady(nodeId: string, description: NodeDescription | undefined): Promise<void> {
    this.nodes.set(nodeId, { state: NodeState.NODE_STATE_READY, message: '', description });
  }

  async markNodeDown(nodeId: string, message: string): Promise<void> {
    const n = this.nodes.get(nodeId);
    this.nodes.set(nodeId, { state: NodeState.NODE_STATE_DOWN, message, description: n?.description });
  }

  async readyNodes(): Promise<string[]> {
    return [...this.nodes].filter(([, n]) => n.state === NodeState.NODE_STATE_READY).map(([id]) => id);
  }

  heartbeatSettings(): { periodMs: number } {
    return { periodMs: this.periodMs };
  }

  managerAddrs(): string[] {
    return [...this.managers];
  }

  private notify(nodeId: string, change: AssignmentChange): void {
    for (const cb of this.watchers.get(nodeId) ?? []) cb(change);
  }
}

export function assignedTask(id: string, nodeId: string, args: string[], image = 'flotilla/busybox:latest'): Task {
  return Task.fromPartial({
    id,
    serviceId: 'svc-e2e',
    serviceName: 'e2e',
    slot: 1,
    nodeId,
    desiredState: TaskState.TASK_STATE_RUNNING,
    status: { state: TaskState.TASK_STATE_ASSIGNED, message: 'assigned' },
    spec: { container: { image, args, hasStopGracePeriod: true, stopGracePeriodMs: 1_000 } },
  });
}
