/**
 * Which agents have stopped heartbeating. Pure: the edge feeds it heartbeats and the clock,
 * and arms one timer for `nextDeadline()`. A node is declared down once it has been silent
 * for period × grace multiplier (Docker's swarm: 5 s × 3), or at once when gossip reports it
 * dead and the dispatcher confirms (`expireNow`).
 */
export const DEFAULT_HEARTBEAT_PERIOD_MS = 5_000;
export const DEFAULT_GRACE_MULTIPLIER = 3;

export class HeartbeatTracker {
  private readonly deadlines = new Map<string, number>();

  constructor(
    private periodMs = DEFAULT_HEARTBEAT_PERIOD_MS,
    private readonly graceMultiplier = DEFAULT_GRACE_MULTIPLIER,
  ) {
    this.checkPeriod(periodMs);
  }

  private checkPeriod(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) throw new Error(`heartbeat period must be > 0, got ${ms} ms`);
  }

  /** The period agents are told to use (changed by `swarm update --dispatcher-heartbeat`). */
  get period(): number {
    return this.periodMs;
  }

  setPeriod(ms: number): void {
    this.checkPeriod(ms);
    this.periodMs = ms;
  }

  get graceMs(): number {
    return this.periodMs * this.graceMultiplier;
  }

  heartbeat(nodeId: string, now: number): void {
    this.deadlines.set(nodeId, now + this.graceMs);
  }

  forget(nodeId: string): void {
    this.deadlines.delete(nodeId);
  }

  /** Nodes whose grace has run out; they are forgotten until they heartbeat again. */
  expire(now: number): string[] {
    const down: string[] = [];
    for (const [id, deadline] of this.deadlines) {
      if (deadline <= now) down.push(id);
    }
    for (const id of down) this.deadlines.delete(id);
    return down.sort();
  }

  /** Gossip said the node is dead: treat it as expired without waiting out the grace. */
  expireNow(nodeId: string): boolean {
    return this.deadlines.delete(nodeId);
  }

  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const d of this.deadlines.values()) if (min === undefined || d < min) min = d;
    return min;
  }

  get tracked(): number {
    return this.deadlines.size;
  }
}
