import type { Assignments, Task } from '@flotilla/api';
import type { AssignmentChange } from '../backend.js';

/**
 * The assignment messages of one session: the full set first, then changes, numbered from 1
 * without gaps so the agent can tell when it missed one. Pure: it also remembers the node's
 * current set, which is what a resync sends and what status updates are checked against.
 */
export class AssignmentStream {
  private sequence = 0;
  private readonly tasks = new Map<string, Task>();
  private started = false;

  constructor(readonly sessionId: string) {}

  /** The first message: the node's whole set. */
  full(tasks: Task[]): Assignments {
    this.tasks.clear();
    for (const t of tasks) this.tasks.set(t.id, t);
    this.started = true;
    return this.message(true, tasks, []);
  }

  /** The message for a change, or undefined when it changes nothing the agent has. */
  change(change: AssignmentChange): Assignments | undefined {
    if (!this.started) throw new Error(`session ${this.sessionId}: a change came before the full set`);
    const removed = change.removed.filter((id) => this.tasks.delete(id));
    for (const t of change.updated) this.tasks.set(t.id, t);
    if (change.updated.length === 0 && removed.length === 0) return undefined;
    return this.message(false, change.updated, removed);
  }

  /** The whole current set at the current sequence, for an agent that saw a gap. */
  resync(): Assignments {
    if (!this.started) throw new Error(`session ${this.sessionId}: resync before the full set was sent`);
    return { sessionId: this.sessionId, sequence: this.sequence, full: true, updated: [...this.tasks.values()], removed: [] };
  }

  /** The number of the last message sent (0 before the full set). */
  get lastSequence(): number {
    return this.sequence;
  }

  isAssigned(taskId: string): boolean {
    return this.tasks.has(taskId);
  }

  get isStarted(): boolean {
    return this.started;
  }

  private message(full: boolean, updated: Task[], removed: string[]): Assignments {
    this.sequence += 1;
    return { sessionId: this.sessionId, sequence: this.sequence, full, updated, removed };
  }
}
