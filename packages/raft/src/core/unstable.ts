import type { RaftEntry, RaftSnapshot } from '@flotilla/api';
import { RaftError } from './errors.js';
import { snapshotIndex, snapshotTerm } from './types.js';

/**
 * Entries (and possibly a snapshot) the core has accepted but the application has not yet
 * persisted. entries[k] has index offset + k. Lost on a crash, by design.
 */
export class Unstable {
  snapshot: RaftSnapshot | undefined;
  entries: RaftEntry[] = [];

  constructor(public offset: number) {}

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? snapshotIndex(this.snapshot) + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? snapshotIndex(this.snapshot) : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      return this.snapshot && snapshotIndex(this.snapshot) === i ? snapshotTerm(this.snapshot) : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]?.term;
  }

  /** The application persisted entries up to (i, t); drop them unless they were replaced meanwhile. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && snapshotIndex(this.snapshot) === i) this.snapshot = undefined;
  }

  restore(s: RaftSnapshot): void {
    this.offset = snapshotIndex(s) + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: RaftEntry[]): void {
    const first = ents[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces everything unstable; storage will see the conflicting suffix overwritten on append.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  slice(lo: number, hi: number): RaftEntry[] {
    if (lo > hi || lo < this.offset || hi > this.offset + this.entries.length) {
      throw new RaftError(
        'invalid-argument',
        `unstable slice [${lo},${hi}) out of [${this.offset},${this.offset + this.entries.length})`,
      );
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
