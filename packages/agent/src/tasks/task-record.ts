import { TaskState, type Task, type TaskStatus } from '@flotilla/api';

/** An operation on the engine that the agent has started and not yet seen finish. */
export type PendingOp = 'create' | 'start' | 'stop' | 'remove';

/** Docker's health status of a container with a health check, as its events and inspect name it. */
export type ContainerHealth = 'starting' | 'healthy' | 'unhealthy';

/** `none`: the container has no health check (none in the spec or the image, or ["NONE"]). */
export type TaskHealth = 'none' | ContainerHealth;

/**
 * What the agent knows about one of its tasks. The first group of fields is kept on disk;
 * the second describes operations of this process and starts empty after a restart.
 */
export interface TaskRecord {
  /** The latest assignment from the dispatcher (spec, desired state). */
  task: Task;
  /** How far the agent has brought the task. */
  state: TaskState;
  /** '' until the container is created, and again once it is removed. */
  containerId: string;
  exitCode: number | undefined;
  message: string;
  err: string;

  pending: PendingOp | undefined;
  /** The container was started and has not been seen to exit. */
  running: boolean;
  /** Someone waits for the running container to exit. */
  waiting: boolean;
  /** The task left this node: remove its container, then forget it. */
  unassigned: boolean;
  /** The latest health the engine reported for the container. */
  health: TaskHealth;
  /**
   * When the container was first reported unhealthy: the moment the task failed. Its FAILED
   * status carries this time although it is reported after the stop (grace period), so the
   * restart delay counts from the failure and runs during the stop, not after it.
   */
  unhealthyAt: number | undefined;
}

/** A record for a task the agent has not seen before; it starts where the store has it. */
export function newRecord(task: Task): TaskRecord {
  const stored = task.status?.state;
  return {
    task,
    state: stored === undefined || stored === TaskState.TASK_STATE_NEW ? TaskState.TASK_STATE_ASSIGNED : stored,
    containerId: '',
    exitCode: undefined,
    message: '',
    err: '',
    pending: undefined,
    running: false,
    waiting: false,
    unassigned: false,
    health: 'none',
    unhealthyAt: undefined,
  };
}

/** The status the agent reports for a record. */
export function statusOf(rec: TaskRecord, now: number, at: number = now): TaskStatus {
  return {
    timestamp: at,
    state: rec.state,
    message: rec.message,
    err: rec.err,
    pendingReason: '',
    container: { containerId: rec.containerId, pid: 0, exitCode: rec.exitCode ?? 0 },
  };
}
