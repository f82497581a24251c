import { isTerminal, TaskState, taskStateToNumber, type Task, type TaskStatus } from '@flotilla/api';
import { statusOf, type TaskHealth, type TaskRecord } from './task-record.js';

/** What happened to a task: assignment changes, or the outcome of an engine operation. */
export type TaskEvent =
  | { kind: 'assigned'; task: Task }
  | { kind: 'unassigned' }
  /** `healthCheck`: the created container has a health check (its own or its image's). */
  | { kind: 'created'; containerId: string; healthCheck: boolean }
  | { kind: 'createFailed'; error: string }
  | { kind: 'started' }
  | { kind: 'startFailed'; error: string }
  | { kind: 'exited'; containerId: string; exitCode: number }
  | { kind: 'stopped' }
  | { kind: 'removed' }
  | { kind: 'opFailed'; error: string }
  /** The engine reported the container healthy, or unhealthy (events stream or inspect). */
  | { kind: 'health-healthy'; containerId: string }
  | { kind: 'health-unhealthy'; containerId: string }
  /** After a restart: what the engine has for a task the agent had on disk. */
  | { kind: 'found'; container: FoundContainer | undefined };

export interface FoundContainer {
  id: string;
  running: boolean;
  exitCode: number;
  health: TaskHealth;
}

/** What the edge must do; engine operations answer with an event. */
export type TaskAction =
  | { kind: 'report'; status: TaskStatus }
  | { kind: 'create' }
  | { kind: 'start'; containerId: string }
  | { kind: 'wait'; containerId: string }
  /** Ask the engine for the container's health now, in case its event came before anyone listened. */
  | { kind: 'checkHealth'; containerId: string }
  | { kind: 'stop'; containerId: string }
  | { kind: 'remove'; containerId: string }
  | { kind: 'forget' };

export interface Step {
  record: TaskRecord;
  actions: TaskAction[];
}

const S = TaskState;

/** What Docker swarm shows in `service ps` ERROR for a task whose container turned unhealthy. */
export const UNHEALTHY_ERR = 'unhealthy container';

/**
 * The agent's task state machine: ASSIGNED → ACCEPTED → PREPARING (create) → [READY while the
 * desired state is READY] → STARTING (start) → RUNNING (once healthy, if the container has a health check), then COMPLETE or
 * FAILED from the exit code or an unhealthy report (stopped first), SHUTDOWN when the desired
 * state moves past RUNNING (stop with grace, then remove), REJECTED when the container
 * cannot be created (never retried: the orchestrator decides). Pure: a record and an event
 * in, the next record and the actions for the edge out.
 */
export function step(record: TaskRecord, event: TaskEvent, now: number): Step {
  const t = new Transition({ ...record }, now);
  t.apply(event);
  t.drive();
  return { record: t.rec, actions: t.actions };
}

class Transition {
  readonly actions: TaskAction[] = [];

  constructor(
    readonly rec: TaskRecord,
    private readonly now: number,
  ) {}

  private moveTo(state: TaskState, message: string, err = '', at = this.now): void {
    this.rec.state = state;
    this.rec.message = message;
    this.rec.err = err;
    this.actions.push({ kind: 'report', status: statusOf(this.rec, this.now, at) });
  }

  /** FAILED as unhealthy, dated when it turned unhealthy (see TaskRecord.unhealthyAt). */
  private failedUnhealthy(err: string): void {
    this.moveTo(S.TASK_STATE_FAILED, 'started', err, Math.min(this.rec.unhealthyAt ?? this.now, this.now));
  }

  private ended(exitCode: number): void {
    this.rec.exitCode = exitCode;
    if (exitCode === 0) this.moveTo(S.TASK_STATE_COMPLETE, 'finished');
    else this.moveTo(S.TASK_STATE_FAILED, 'started', `task: non-zero exit (${exitCode})`);
  }

  apply(e: TaskEvent): void {
    const r = this.rec;
    switch (e.kind) {
      case 'assigned':
        r.task = e.task;
        return;
      case 'unassigned':
        r.unassigned = true;
        return;
      case 'created':
        r.pending = undefined;
        r.containerId = e.containerId;
        r.health = e.healthCheck ? 'starting' : 'none';
        return;
      case 'createFailed':
        r.pending = undefined;
        this.moveTo(S.TASK_STATE_REJECTED, 'preparing', e.error);
        return;
      case 'started':
        r.pending = undefined;
        r.running = true;
        // The event stream may have said `healthy` before anyone listened for this container.
        if (r.health === 'starting') this.actions.push({ kind: 'checkHealth', containerId: r.containerId });
        return;
      case 'startFailed':
        r.pending = undefined;
        this.moveTo(S.TASK_STATE_FAILED, 'starting', e.error);
        return;
      case 'exited':
        if (e.containerId !== r.containerId) return; // a container this record no longer owns
        r.running = false;
        r.waiting = false;
        r.exitCode = e.exitCode;
        // An exit the agent caused (stop, removal) is not the task failing.
        if (r.pending === 'stop' || r.pending === 'remove' || r.unassigned || isTerminal(r.task.desiredState)) return;
        // STARTING with a running container: it exited while waiting to be healthy.
        if (r.state === S.TASK_STATE_RUNNING || r.state === S.TASK_STATE_STARTING) this.ended(e.exitCode);
        return;
      case 'stopped':
        r.pending = undefined;
        r.running = false;
        if (r.unassigned || isTerminal(r.state)) return;
        // Stopped because it turned unhealthy: a failure the orchestrator's restart policy answers.
        if (r.health === 'unhealthy' && !isTerminal(r.task.desiredState)) this.failedUnhealthy(UNHEALTHY_ERR);
        else this.moveTo(S.TASK_STATE_SHUTDOWN, 'shutdown');
        return;
      case 'removed':
        r.pending = undefined;
        r.running = false;
        r.containerId = '';
        return;
      case 'opFailed': {
        const op = r.pending;
        r.pending = undefined;
        // Like swarm: an unhealthy container that cannot be stopped still fails the task, with
        // why, rather than retrying the stop forever; its container goes when the task leaves.
        if (op === 'stop' && r.health === 'unhealthy' && !r.unassigned && !isTerminal(r.state) && !isTerminal(r.task.desiredState)) {
          this.failedUnhealthy(`${UNHEALTHY_ERR} (stopping it failed: ${e.error})`);
        }
        return;
      }
      case 'health-healthy':
      case 'health-unhealthy':
        // Only news about the container this record owns and has a check for, while it matters.
        if (e.containerId !== r.containerId || r.health === 'none' || r.health === 'unhealthy' || isTerminal(r.state)) return;
        r.health = e.kind === 'health-healthy' ? 'healthy' : 'unhealthy';
        if (r.health === 'unhealthy') r.unhealthyAt ??= this.now;
        return;
      case 'found':
        this.found(e.container);
        return;
    }
  }

  private found(c: FoundContainer | undefined): void {
    const r = this.rec;
    r.pending = undefined;
    r.waiting = false;
    r.running = false;
    if (!c) {
      r.containerId = '';
      // Past PREPARING there must have been a container; earlier, driving on creates one.
      if (!isTerminal(r.state) && taskStateToNumber(r.state) >= taskStateToNumber(S.TASK_STATE_STARTING)) {
        this.moveTo(S.TASK_STATE_FAILED, 'started', 'task: its container disappeared while the agent was down');
      }
      return;
    }
    r.containerId = c.id;
    r.running = c.running;
    r.health = c.health;
    if (isTerminal(r.state)) return;
    if (c.running) {
      // Driving on from STARTING moves it to RUNNING once healthy (at once without a check).
      if (r.state !== S.TASK_STATE_RUNNING && r.state !== S.TASK_STATE_STARTING) this.moveTo(S.TASK_STATE_STARTING, 'starting');
    } else if (r.state === S.TASK_STATE_RUNNING) {
      this.ended(c.exitCode);
    } else if (taskStateToNumber(r.state) < taskStateToNumber(S.TASK_STATE_PREPARING)) {
      // The container exists already: never create a second one for the task.
      this.moveTo(S.TASK_STATE_PREPARING, 'preparing');
    }
  }

  /** Decides the next engine operation from the record's facts, if none is in flight. */
  drive(): void {
    const r = this.rec;
    if (r.pending) return;
    if (r.unassigned) {
      if (r.containerId && r.running) this.op('stop');
      else if (r.containerId) this.op('remove');
      else this.actions.push({ kind: 'forget' });
      return;
    }
    if (isTerminal(r.state)) {
      // SHUTDOWN means stopped and removed; other ends keep the container for `docker logs`.
      if (r.state === S.TASK_STATE_SHUTDOWN && r.containerId) this.op('remove');
      return;
    }
    if (isTerminal(r.task.desiredState)) {
      if (r.containerId && r.running) this.op('stop');
      else if (r.containerId) this.op('remove');
      else this.moveTo(S.TASK_STATE_SHUTDOWN, 'shutdown');
      return;
    }
    const live = r.state === S.TASK_STATE_STARTING || r.state === S.TASK_STATE_RUNNING;
    if (live && r.health === 'unhealthy') {
      // Like Docker: stop it, then report FAILED so the restart policy replaces the task.
      if (r.containerId && r.running) this.op('stop');
      else this.failedUnhealthy(UNHEALTHY_ERR);
      return;
    }
    switch (r.state) {
      case S.TASK_STATE_NEW:
      case S.TASK_STATE_PENDING:
      case S.TASK_STATE_ASSIGNED:
        this.moveTo(S.TASK_STATE_ACCEPTED, 'accepted');
        this.moveTo(S.TASK_STATE_PREPARING, 'preparing');
        this.op('create');
        return;
      case S.TASK_STATE_ACCEPTED:
        this.moveTo(S.TASK_STATE_PREPARING, 'preparing');
        this.op('create');
        return;
      case S.TASK_STATE_PREPARING:
      case S.TASK_STATE_READY:
        if (!r.containerId) {
          this.op('create');
          return;
        }
        // Like swarm's agent: a task wanted READY (a delayed restart) is prepared and waits there
        // until the orchestrator moves it to RUNNING, so the restart delay holds on the node too.
        if (taskStateToNumber(r.task.desiredState) < taskStateToNumber(S.TASK_STATE_RUNNING)) {
          if (r.state !== S.TASK_STATE_READY) this.moveTo(S.TASK_STATE_READY, 'prepared');
          return;
        }
        this.moveTo(S.TASK_STATE_STARTING, 'starting');
        this.op('start');
        return;
      case S.TASK_STATE_STARTING:
        if (r.running) {
          // Watch for the exit while waiting for `healthy` too: a container can die first.
          if (r.health === 'none' || r.health === 'healthy') this.moveTo(S.TASK_STATE_RUNNING, 'started');
          this.waitForExit();
          return;
        }
        if (r.containerId) this.op('start');
        else this.moveTo(S.TASK_STATE_FAILED, 'starting', 'task: its container is gone');
        return;
      case S.TASK_STATE_RUNNING:
        if (r.running) this.waitForExit();
        return;
      default:
        return;
    }
  }

  private waitForExit(): void {
    if (this.rec.waiting) return;
    this.rec.waiting = true;
    this.actions.push({ kind: 'wait', containerId: this.rec.containerId });
  }

  private op(kind: 'create' | 'start' | 'stop' | 'remove'): void {
    this.rec.pending = kind;
    this.actions.push(kind === 'create' ? { kind } : { kind, containerId: this.rec.containerId });
  }
}
