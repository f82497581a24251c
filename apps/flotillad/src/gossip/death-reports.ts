/**
 * Which nodes gossip has confirmed dead, from the reports of the nodes' own gossip members.
 *
 * Who may report: only nodes with a live dispatcher session (the caller passes them in), so a
 * node cut off by a partition, which sees everybody dead, cannot reach the dispatcher and is
 * not counted. A death is confirmed by a majority of the other live nodes and never by fewer
 * than two of them, so no single member (the manager's own included) can take a node down.
 * Once a node has been expired it is not expired again until the reports about it fall below
 * the quorum: a node whose gossip is blocked but whose heartbeats go through re-opens its
 * session and must not flap.
 *
 * A report counts only against the session it can be about: one first received before the
 * target's current session opened is about the process before it. A restarted node reconnects
 * about as fast as gossip declares its old process dead, and the reporters keep saying so
 * until gossip sees the new process; those reports must not take the new session down.
 */
export class DeathReports {
  /** reporter → target → when this reporter first said the target was dead (ms). */
  private readonly byReporter = new Map<string, ReadonlyMap<string, number>>();
  private readonly expired = new Set<string>();

  /** The reporter's whole current view (it replaces the previous one), received at `now`. */
  report(reporter: string, deadNodeIds: readonly string[], now = Date.now()): void {
    const before = this.byReporter.get(reporter);
    const view = new Map<string, number>();
    for (const id of deadNodeIds) if (id !== reporter) view.set(id, before?.get(id) ?? now);
    this.byReporter.set(reporter, view);
  }

  forget(reporter: string): void {
    this.byReporter.delete(reporter);
  }

  /**
   * Nodes to mark down now; `liveNodes` are the nodes with a live session, `sessionOpenedAt`
   * tells when a node's current session opened (undefined without one).
   */
  confirmed(liveNodes: ReadonlySet<string>, sessionOpenedAt: (nodeId: string) => number | undefined = () => undefined): string[] {
    const counts = new Map<string, number>();
    for (const [reporter, dead] of this.byReporter) {
      if (!liveNodes.has(reporter)) continue;
      for (const [target, since] of dead) {
        const opened = sessionOpenedAt(target);
        if (opened !== undefined && since < opened) continue;
        counts.set(target, (counts.get(target) ?? 0) + 1);
      }
    }
    const out: string[] = [];
    for (const target of new Set([...counts.keys(), ...this.expired])) {
      const others = liveNodes.size - (liveNodes.has(target) ? 1 : 0);
      const enough = (counts.get(target) ?? 0) >= deathQuorum(others);
      if (!enough) this.expired.delete(target);
      else if (!this.expired.has(target)) {
        this.expired.add(target);
        out.push(target);
      }
    }
    return out.sort();
  }
}

/** Reports needed among `others` live nodes: a majority, at least two; Infinity when fewer than two could report. */
export function deathQuorum(others: number): number {
  if (others < 2) return Number.POSITIVE_INFINITY;
  return Math.max(2, Math.floor(others / 2) + 1);
}
