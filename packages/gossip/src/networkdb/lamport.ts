/** A Lamport clock: ticks on every local write, jumps past every time it hears of. */
export class LamportClock {
  private time = 0;

  get now(): number {
    return this.time;
  }

  tick(): number {
    return ++this.time;
  }

  witness(seen: number): void {
    if (seen > this.time) this.time = seen;
  }
}

/** Total order of writes: Lamport time, then owner id so that ties resolve the same everywhere. */
export function newer(a: { lamport: number; owner: string }, b: { lamport: number; owner: string }): boolean {
  return a.lamport > b.lamport || (a.lamport === b.lamport && a.owner > b.owner);
}
