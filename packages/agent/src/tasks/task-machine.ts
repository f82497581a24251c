import { isTerminal, TaskState, taskStateToNumber, type Task, type TaskStatus } from '@flotilla/api';
import { statusOf, type TaskRecord } from './task-record.js';

/** What happened to a task: assignment changes, or the outcome of an engine operation. */
export type TaskEvent =
  | { kind: 'assigned'; task: Task }
  | { kind: 'unassigned' }
  | { kind: 'created'; containerId: string }
  | { kind: 'createFailed'; error: string }
  | { kind: 'started' }
  | { kind: 'startFailed'; error: string }
  | { kind: 'exited'; containerId: string; exitCode: number }
  | { kind: 'stopped' }
  | { kind: 'removed' }
  | { kind: 'opFailed'; error: string }
  /** After a restart: what the engine has for a task the agent had on disk. */
  | { kind: 'found'; container: FoundContainer | undefined };

export interface FoundContainer {
  id: string;
  running: boolean;
  exitCode: number;
}

/** What the edge must do; engine operations answer with an event. */
export type TaskAction =
  | { kind: 'report'; status: TaskStatus }
  | { kind: 'create' }
  | { kind: 'start'; containerId: string }
  | { kind: 'wait'; containerId: string }
  | { kind: 'stop'; containerId: string }
  | { kind: 'remove'; containerId: string }
  | { kind: 'forget' };

export interface Step {
  record: TaskRecord;
  actions: TaskAction[];
}

const S = TaskState;

/**
 * The agent's task state machine: ASSIGNED → ACCEPTED → PREPARING (create) → STARTING
 * (start) → RUNNING, then COMPLETE or FAILED from the exit code, SHUTDOWN when the desired
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

  private moveTo(state: TaskState, message: string, err = ''): void {
    this.rec.state = state;
    this.rec.message = message;
    this.rec.err = err;
    this.actions.push({ kind: 'report', status: statusOf(this.rec, this.now) });
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
        return;
      case 'createFailed':
        r.pending = undefined;
        this.moveTo(S.TASK_STATE_REJECTED, 'preparing', e.error);
        return;
      case 'started':
        r.pending = undefined;
        r.running = true;
        if (r.state === S.TASK_STATE_STARTING) this.moveTo(S.TASK_STATE_RUNNING, 'started');
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
        if (r.state === S.TASK_STATE_RUNNING) this.ended(e.exitCode);
        return;
      case 'stopped':
        r.pending = undefined;
        r.running = false;
        if (!r.unassigned && !isTerminal(r.state)) this.moveTo(S.TASK_STATE_SHUTDOWN, 'shutdown');
        return;
      case 'removed':
        r.pending = undefined;
        r.running = false;
        r.containerId = '';
        return;
      case 'opFailed':
        r.pending = undefined;
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
    if (isTerminal(r.state)) return;
    if (c.running) {
      if (r.state !== S.TASK_STATE_RUNNING) this.moveTo(S.TASK_STATE_RUNNING, 'started');
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
        this.moveTo(S.TASK_STATE_STARTING, 'starting');
        this.op('start');
        return;
      case S.TASK_STATE_STARTING:
        if (r.containerId) this.op('start');
        else this.moveTo(S.TASK_STATE_FAILED, 'starting', 'task: its container is gone');
        return;
      case S.TASK_STATE_RUNNING:
        if (r.running && !r.waiting) {
          r.waiting = true;
          this.actions.push({ kind: 'wait', containerId: r.containerId });
        }
        return;
      default:
        return;
    }
  }

  private op(kind: 'create' | 'start' | 'stop' | 'remove'): void {
    this.rec.pending = kind;
    this.actions.push(kind === 'create' ? { kind } : { kind, containerId: this.rec.containerId });
  }
}
