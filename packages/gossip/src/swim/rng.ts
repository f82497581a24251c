/**
 * Randomness is injected so that a whole cluster can be replayed from one seed in the
 * simulation; production passes a generator seeded from the OS.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: tiny, fast, and good enough for picking gossip peers. */
export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function randomInt(rng: Rng, below: number): number {
  return Math.floor(rng.next() * below);
}

export function shuffleInPlace<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}
