import { it } from 'vitest';

/**
 * Seeds for a simulation suite: SEED=n replays exactly one run; SIM_SEEDS=k changes how many
 * seeds run (default `count`), starting at `base` so each suite explores its own range.
 */
export function seedsFor(suite: string, base: number, count: number): { seeds: number[]; replay: boolean } {
  const one = process.env['SEED'];
  if (one !== undefined && one !== '') {
    const n = Number(one);
    if (!Number.isInteger(n)) throw new Error(`SEED must be an integer, got ${one} (suite ${suite})`);
    return { seeds: [n], replay: true };
  }
  const k = Number(process.env['SIM_SEEDS'] ?? count);
  return { seeds: Array.from({ length: k }, (_, i) => base + i), replay: false };
}

/**
 * Declares one test per chunk of seeds (so no single test runs long, and progress shows),
 * running `run` for each seed; a failure names the seed and the command that replays it.
 */
export function itForSeeds(suite: string, file: string, base: number, count: number, run: (seed: number) => void, chunk = 100): void {
  const { seeds, replay } = seedsFor(suite, base, count);
  for (let i = 0; i < seeds.length; i += chunk) {
    const part = seeds.slice(i, i + chunk);
    const label = replay ? `seed ${part[0]} (replay)` : `seeds ${part[0]}..${part[part.length - 1]}`;
    it(label, () => {
      for (const seed of part) {
        try {
          run(seed);
        } catch (e) {
          throw new Error(
            `${suite} seed ${seed} failed: ${(e as Error).message}\n  replay: SEED=${seed} pnpm --filter @flotilla/raft exec vitest run ${file}`,
            { cause: e },
          );
        }
      }
    });
  }
}
