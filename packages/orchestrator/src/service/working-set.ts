// The tasks as one pass of the orchestrator sees them: the store's read view with the pass's own
// changes laid over it, so each reconciler in the pass sees what the earlier ones decided, and
// everything decided goes into one transaction (all or nothing; a version conflict retries the
// whole pass from a fresh view).
import { TaskState, isTerminal, taskStateToNumber, type Task } from '@flotilla/api';
import { TransactionBuilder, type ReadTx } from '@flotilla/raft';
import type { Action } from '../actions.js';
import { isLive } from '../slots.js';

const ASSIGNED = taskStateToNumber(TaskState.TASK_STATE_ASSIGNED);

/** A task no agent has been given yet: nobody else will ever report its end. */
export function neverAssigned(task: Task): boolean {
  return taskStateToNumber(task.status?.state ?? TaskState.TASK_STATE_NEW) < ASSIGNED;
}

export interface Applied {
  action: Action;
  serviceId: string;
}

export class WorkingSet {
  private readonly updated = new Map<string, Task>();
  private readonly created = new Map<string, Task>();
  private readonly deleted = new Map<string, Task>();

  constructor(
    readonly view: ReadTx,
    private readonly now: number,
  ) {}

  get changes(): number {
    return this.updated.size + this.created.size + this.deleted.size;
  }

  get(id: string): Task | undefined {
    if (this.deleted.has(id)) return undefined;
    return this.created.get(id) ?? this.updated.get(id) ?? this.view.tasks.get(id);
  }

  byService(serviceId: string): Task[] {
    return this.overlay(this.view.tasks.byService(serviceId), (t) => t.serviceId === serviceId);
  }

  bySlot(serviceId: string, slot: number): Task[] {
    return this.overlay(this.view.tasks.bySlot(serviceId, slot), (t) => t.serviceId === serviceId && t.slot === slot);
  }

  byNode(nodeId: string): Task[] {
    return this.overlay(this.view.tasks.byNode(nodeId), (t) => t.nodeId === nodeId);
  }

  /** Applies one reconciler action; returns false when it no longer applies (already done). */
  apply(action: Action): boolean {
    switch (action.type) {
      case 'create':
        this.created.set(action.task.id, action.task);
        return true;
      case 'shutdown': {
        const t = this.get(action.taskId);
        if (!t || !isLive(t)) return false;
        const next: Task = { ...t, desiredState: action.desiredState ?? TaskState.TASK_STATE_SHUTDOWN };
        // A task that never reached an agent ends here: no one else would ever report it.
        if (neverAssigned(t)) next.status = { ...emptyStatus(), ...t.status, state: TaskState.TASK_STATE_SHUTDOWN, message: action.reason, timestamp: this.now };
        this.put(next);
        return true;
      }
      case 'mark-orphaned': {
        const t = this.get(action.taskId);
        if (!t || (t.status && isTerminal(t.status.state))) return false;
        this.put({ ...t, status: { ...emptyStatus(), ...t.status, state: TaskState.TASK_STATE_ORPHANED, message: action.reason, timestamp: this.now } });
        return true;
      }
    }
  }

  /** Moves a delayed replacement from READY to RUNNING. */
  start(task: Task): void {
    this.put({ ...task, desiredState: TaskState.TASK_STATE_RUNNING });
  }

  delete(id: string): void {
    const t = this.get(id);
    if (!t) return;
    if (this.created.delete(id)) return;
    this.updated.delete(id);
    this.deleted.set(id, this.view.tasks.get(id) ?? t);
  }

  /** These tasks' writes must commit together (a restart: the ended task's shutdown and its replacement). */
  link(ids: readonly string[]): void {
    for (let i = 1; i < ids.length; i++) {
      const a = this.root(ids[0]!);
      const b = this.root(ids[i]!);
      if (a !== b) this.parent.set(b, a);
    }
  }

  /**
   * The pass's writes as transactions of at most `maxWrites` writes each (linked writes stay in
   * one, even if that one is larger). Each transaction is valid alone, so a later one failing
   * leaves the earlier ones' effects consistent; the retried pass starts from what committed.
   */
  transactions(txIdPrefix: string, maxWrites: number): TransactionBuilder[] {
    type Write = (b: TransactionBuilder) => void;
    const units = new Map<string, Write[]>();
    const add = (id: string, w: Write): void => {
      const r = this.root(id);
      units.set(r, [...(units.get(r) ?? []), w]);
    };
    for (const t of this.created.values()) add(t.id, (b) => b.create('task', t));
    for (const t of this.updated.values()) add(t.id, (b) => b.update('task', t));
    for (const t of this.deleted.values()) add(t.id, (b) => b.delete('task', t));
    const out: TransactionBuilder[] = [];
    let current: TransactionBuilder | undefined;
    for (const writes of units.values()) {
      if (!current || (current.size > 0 && current.size + writes.length > maxWrites)) {
        current = new TransactionBuilder(`${txIdPrefix}-${out.length}`, this.now);
        out.push(current);
      }
      for (const w of writes) w(current);
    }
    return out;
  }

  private readonly parent = new Map<string, string>();

  private root(id: string): string {
    let r = id;
    for (let p = this.parent.get(r); p !== undefined; p = this.parent.get(r)) r = p;
    if (r !== id) this.parent.set(id, r);
    return r;
  }

  private put(task: Task): void {
    if (this.created.has(task.id)) this.created.set(task.id, task);
    else this.updated.set(task.id, task);
  }

  private overlay(base: readonly Task[], belongs: (t: Task) => boolean): Task[] {
    const out: Task[] = [];
    for (const t of base) {
      const cur = this.get(t.id);
      if (cur && belongs(cur)) out.push(cur);
    }
    for (const t of this.created.values()) if (belongs(t)) out.push(t);
    return out;
  }
}

function emptyStatus(): NonNullable<Task['status']> {
  return { timestamp: 0, state: TaskState.TASK_STATE_NEW, message: '', err: '', container: undefined, pendingReason: '' };
}

