import type { NodeDescription, Task, TaskStatus } from '@flotilla/api';

/** A change to the set of tasks assigned to one node. */
export interface AssignmentChange {
  /** Tasks newly assigned to the node, or whose spec or desired state changed. */
  updated: Task[];
  /** Ids of tasks no longer assigned to the node (deleted, or moved away). */
  removed: string[];
}

export interface AssignmentWatch {
  stop(): void;
}

export interface TaskStatusWrite {
  nodeId: string;
  taskId: string;
  status: TaskStatus;
}

export interface HeartbeatSettings {
  periodMs: number;
}

/**
 * What the dispatcher needs from the replicated store. flotillad implements it over the
 * store; the dispatcher never touches the store directly, so it can be tested (and run)
 * against anything that keeps these promises.
 */
export interface DispatcherBackend {
  /** The node's whole current set: every task assigned to it that the agent must know about. */
  listTasksForNode(nodeId: string): Promise<Task[]>;
  /**
   * Calls `onChange` for every change to the node's set after the call, in order, until
   * `stop()`. Changes made while `listTasksForNode` runs may be delivered as well: the
   * dispatcher tolerates seeing a change twice.
   */
  watchAssignments(nodeId: string, onChange: (change: AssignmentChange) => void): AssignmentWatch;
  /** Writes a batch of task statuses in one transaction; rejects if nothing was written. */
  updateTaskStatuses(batch: TaskStatusWrite[]): Promise<void>;
  /** A session opened: the node is READY with this description. */
  markNodeReady(nodeId: string, description: NodeDescription | undefined): Promise<void>;
  /** The node's heartbeats stopped for longer than the grace. */
  markNodeDown(nodeId: string, message: string): Promise<void>;
  /**
   * Nodes the store calls READY when the dispatcher starts (e.g. after a leader change):
   * each gets one grace period to open a session here, or is marked down.
   */
  readyNodes(): Promise<string[]>;
  /** The cluster's heartbeat period, read at every heartbeat so a change applies at once. */
  heartbeatSettings(): HeartbeatSettings;
  /**
   * The join/CA address (host:port) of every manager, told to agents at each heartbeat so a
   * worker can reach the others when its manager goes. Optional: without it the list is empty.
   */
  managerAddrs?(): string[];
}
