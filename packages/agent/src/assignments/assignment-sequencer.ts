import type { Assignments, Task } from '@flotilla/api';

/** What to apply to the agent's tasks, in order. */
export type AssignmentUpdate =
  | { kind: 'full'; tasks: Task[] }
  | { kind: 'delta'; updated: Task[]; removed: string[] };

/** Messages kept for a session that is not current yet or that arrived ahead of a gap. */
const MAX_HELD = 256;

/**
 * Puts the assignment messages of the current session in order. The dispatcher numbers
 * them from 1 without gaps; a full set replaces everything up to its number. A message
 * that arrives ahead of a missing one is held, and `needsFullSet` tells the edge to ask
 * for the full set again. The full set published at session start may arrive before the
 * reply that names the session, so messages of a session not yet current are held too.
 * Pure: no timers, no I/O.
 */
export class AssignmentSequencer {
  private sessionId: string | undefined;
  private lastSeq: number | undefined;
  private held: Assignments[] = [];

  /** A new session: its messages start over; others are dropped. */
  setSession(sessionId: string): AssignmentUpdate[] {
    this.sessionId = sessionId;
    this.lastSeq = undefined;
    this.held = this.held.filter((m) => m.sessionId === sessionId);
    return this.drain();
  }

  receive(msg: Assignments): AssignmentUpdate[] {
    if (this.sessionId !== undefined && msg.sessionId === this.sessionId && this.lastSeq !== undefined && msg.sequence <= this.lastSeq && !msg.full) {
      return []; // already applied
    }
    this.held.push(msg);
    if (this.held.length > MAX_HELD) this.held.splice(0, this.held.length - MAX_HELD);
    return this.drain();
  }

  /** The current session has no full set yet, or a message is missing before held ones. */
  get needsFullSet(): boolean {
    if (this.sessionId === undefined) return false;
    if (this.lastSeq === undefined) return true;
    return this.held.some((m) => m.sessionId === this.sessionId);
  }

  /** The dispatcher says it sent up to `sequence` in `sessionId`; true when some never arrived. */
  isBehind(sessionId: string, sequence: number): boolean {
    return sessionId === this.sessionId && (this.lastSeq ?? 0) < sequence;
  }

  get session(): string | undefined {
    return this.sessionId;
  }

  get sequence(): number | undefined {
    return this.lastSeq;
  }

  private drain(): AssignmentUpdate[] {
    const out: AssignmentUpdate[] = [];
    if (this.sessionId === undefined) return out;
    for (;;) {
      const mine = this.held.filter((m) => m.sessionId === this.sessionId);
      // The newest full set wins over everything numbered up to it.
      const full = mine.filter((m) => m.full && (this.lastSeq === undefined || m.sequence >= this.lastSeq)).sort((a, b) => b.sequence - a.sequence)[0];
      if (full) {
        out.push({ kind: 'full', tasks: full.updated });
        this.lastSeq = full.sequence;
        this.held = this.held.filter((m) => m.sessionId !== this.sessionId || (!m.full && m.sequence > full.sequence));
        continue;
      }
      if (this.lastSeq === undefined) return out;
      const next = mine.find((m) => !m.full && m.sequence === this.lastSeq! + 1);
      if (!next) {
        this.held = this.held.filter((m) => m.sessionId !== this.sessionId || m.sequence > this.lastSeq!);
        return out;
      }
      out.push({ kind: 'delta', updated: next.updated, removed: next.removed });
      this.lastSeq = next.sequence;
      this.held = this.held.filter((m) => m !== next);
    }
  }
}
