// Bookkeeping of requests waiting on the log: proposals wait for their entry to be applied,
// read barriers wait for a read index to be confirmed and then applied. No I/O, no timers.
import type { ApplyResult } from '../store/store.js';
import { RaftMemberError } from './errors.js';

export interface Applied {
  index: number;
  /** The store's verdict for a transaction; undefined for a membership change. */
  result?: ApplyResult;
}

interface ProposalWaiter {
  term: number;
  kind: 'tx' | 'conf';
  resolve(a: Applied): void;
  reject(e: Error): void;
}

export class PendingProposals {
  private readonly byIndex = new Map<number, ProposalWaiter>();

  get size(): number {
    return this.byIndex.size;
  }

  add(index: number, w: ProposalWaiter): void {
    this.byIndex.get(index)?.reject(new RaftMemberError('LEADER_CHANGED', `entry ${index} was replaced before it was applied`));
    this.byIndex.set(index, w);
  }

  has(index: number): boolean {
    return this.byIndex.has(index);
  }

  /**
   * The entry at `index` with `term` was applied. A different term at the index means our entry
   * was overwritten by another leader's: it will never apply.
   */
  applied(index: number, term: number, outcome: { result?: ApplyResult; confRefused?: boolean }): void {
    const w = this.byIndex.get(index);
    if (w === undefined) return;
    this.byIndex.delete(index);
    if (w.term !== term) {
      w.reject(new RaftMemberError('LEADER_CHANGED', `entry ${index} of term ${w.term} was replaced by one of term ${term}`));
    } else if (w.kind === 'conf' && outcome.confRefused) {
      w.reject(new RaftMemberError('REFUSED', `membership change at ${index} was refused by the configuration`));
    } else {
      w.resolve({ index, ...(outcome.result ? { result: outcome.result } : {}) });
    }
  }

  /** Forgets one waiter without settling it (its caller gave up). */
  forget(index: number): void {
    this.byIndex.delete(index);
  }

  /** Settles every waiter with `err` (leadership lost, member stopped, snapshot replaced the log). */
  failAll(err: (index: number) => Error, upTo = Number.POSITIVE_INFINITY): void {
    for (const [index, w] of this.byIndex) {
      if (index > upTo) continue;
      this.byIndex.delete(index);
      w.reject(err(index));
    }
  }
}

interface ReadWaiter {
  /** Set once the leader confirmed the read point. */
  index?: number;
  resolve(index: number): void;
  reject(e: Error): void;
}

export class PendingReads {
  private readonly byCtx = new Map<string, ReadWaiter>();

  get size(): number {
    return this.byCtx.size;
  }

  add(ctx: string, w: ReadWaiter): void {
    this.byCtx.set(ctx, w);
  }

  forget(ctx: string): void {
    this.byCtx.delete(ctx);
  }

  /** The read point for `ctx` was confirmed at `index`. */
  confirmed(ctx: string, index: number, applied: number): void {
    const w = this.byCtx.get(ctx);
    if (w === undefined) return;
    w.index = index;
    this.appliedTo(applied);
  }

  /** Releases every confirmed read whose index has been applied. */
  appliedTo(applied: number): void {
    for (const [ctx, w] of this.byCtx) {
      if (w.index !== undefined && w.index <= applied) {
        this.byCtx.delete(ctx);
        w.resolve(w.index);
      }
    }
  }

  failAll(err: Error): void {
    for (const w of this.byCtx.values()) w.reject(err);
    this.byCtx.clear();
  }
}
