import type { Task, TaskState } from '@flotilla/api';

/**
 * What a reconciler wants written to the store. Reconcilers only describe;
 * the edge performs all actions of one call in one transaction.
 */
export type Action = CreateTask | ShutdownTask | MarkOrphaned;

export interface CreateTask {
  type: 'create';
  task: Task;
  /** Set for delayed restarts: the unix ms at which to move desiredState READY → RUNNING. */
  startAt?: number;
}

/** Set desiredState SHUTDOWN (desiredState only moves forward, so never emitted twice). */
export interface ShutdownTask {
  type: 'shutdown';
  taskId: string;
  reason: string;
  /** COMPLETE for a job's task that finished its work (docker shows desired Complete); else SHUTDOWN. */
  desiredState?: TaskState;
}

/** Set the task's observed state to ORPHANED: its node is gone for good. */
export interface MarkOrphaned {
  type: 'mark-orphaned';
  taskId: string;
  reason: string;
}

export function shutdown(taskId: string, reason: string): ShutdownTask {
  return { type: 'shutdown', taskId, reason };
}
