import type { RaftEntry } from '@flotilla/api';

/** Thrown when a Raft safety property is broken; the message says which and where. */
export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

function fingerprint(e: RaftEntry): string {
  return `${e.type}:${e.data.toString('base64')}`;
}

/**
 * Incremental checks of Raft's safety properties (Raft paper, figure 3), fed by the
 * simulated cluster as things happen, so each check costs little per event.
 */
export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, number>();
  /** index/term -> fingerprint and previous entry's term: the inductive form of log matching. */
  private readonly byIndexTerm = new Map<string, { fp: string; prevTerm: number; node: number }>();
  /** Index -> term and fingerprint of the entry applied there; every applied entry is committed. */
  readonly applied = new Map<number, { term: number; fp: string; node: number }>();

  /** Election safety: at most one leader per term. */
  leader(node: number, term: number): void {
    const other = this.leaderOfTerm.get(term);
    if (other === undefined) this.leaderOfTerm.set(term, node);
    else if (other !== node) throw new SafetyViolation(`election safety: members ${other} and ${node} both lead term ${term}`);
  }

  /**
   * Log matching: two logs holding an entry with the same index and term hold the same
   * entry there and agree on the term before it (hence, by induction, on the whole prefix).
   */
  persisted(node: number, e: RaftEntry, prevTerm: number): void {
    const key = `${e.index}/${e.term}`;
    const fp = fingerprint(e);
    const seen = this.byIndexTerm.get(key);
    if (seen === undefined) {
      this.byIndexTerm.set(key, { fp, prevTerm, node });
      return;
    }
    if (seen.fp !== fp) {
      throw new SafetyViolation(`log matching: entry ${key} differs between members ${seen.node} and ${node}`);
    }
    if (seen.prevTerm !== prevTerm && prevTerm !== -1 && seen.prevTerm !== -1) {
      throw new SafetyViolation(
        `log matching: before entry ${key} member ${seen.node} has term ${seen.prevTerm}, member ${node} has ${prevTerm}`,
      );
    }
  }

  /** State machine safety: no two members apply different entries at one index. */
  appliedEntry(node: number, e: RaftEntry): void {
    const fp = fingerprint(e);
    const seen = this.applied.get(e.index);
    if (seen === undefined) {
      this.applied.set(e.index, { term: e.term, fp, node });
      return;
    }
    if (seen.term !== e.term || seen.fp !== fp) {
      throw new SafetyViolation(
        `state machine safety: at index ${e.index} member ${seen.node} applied term ${seen.term}, member ${node} applied term ${e.term}`,
      );
    }
  }

  /**
   * Leader completeness: a new leader's log holds every entry committed before it was
   * elected. `termAt` gives the leader's term at an index, or undefined if compacted away.
   */
  newLeader(node: number, term: number, firstIndex: number, lastIndex: number, termAt: (i: number) => number | undefined): void {
    for (const [index, a] of this.applied) {
      if (index < firstIndex) continue; // covered by the leader's snapshot, which only holds committed state
      if (index > lastIndex) {
        throw new SafetyViolation(`leader completeness: leader ${node} of term ${term} lacks committed index ${index} (last ${lastIndex})`);
      }
      const t = termAt(index);
      if (t !== undefined && t !== a.term) {
        throw new SafetyViolation(
          `leader completeness: leader ${node} of term ${term} has term ${t} at committed index ${index}, committed term ${a.term}`,
        );
      }
    }
  }
}
