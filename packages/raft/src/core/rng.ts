/** Source of randomness injected into the core, so a seed replays a run exactly. */
export interface Rng {
  /** Uniform integer in [0, n). */
  intn(n: number): number;
}

/** Small, fast, seedable generator (mulberry32); not for cryptography. */
export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  intn(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`intn needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A new generator whose sequence is independent of later draws from this one. */
  fork(): SeededRng {
    return new SeededRng(this.intn(0x7fffffff) + 1);
  }
}
