/**
 * A Lamport clock: ticks on every local write, jumps past every time it hears of. With a
 * `floor` (wall-clock milliseconds) a tick is never below it, so a node that restarts with a
 * fresh clock still writes after everything it wrote in its previous life (as long as it wrote
 * less than one row per millisecond), and its deletes are not lost against its old rows.
 */
export class LamportClock {
  private time = 0;

  constructor(private readonly floor?: () => number) {}

  get now(): number {
    return this.time;
  }

  tick(): number {
    this.time = Math.max(this.time + 1, Math.floor(this.floor?.() ?? 0));
    return this.time;
  }

  witness(seen: number): void {
    if (seen > this.time) this.time = seen;
  }
}

/** Total order of writes: Lamport time, then owner id so that ties resolve the same everywhere. */
export function newer(a: { lamport: number; owner: string }, b: { lamport: number; owner: string }): boolean {
  return a.lamport > b.lamport || (a.lamport === b.lamport && a.owner > b.owner);
}
