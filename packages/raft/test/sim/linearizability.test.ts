import { describe, expect, it } from 'vitest';
import { runChaos } from './scenario.js';
import { seedsFor } from './seeds.js';

// Replay one failing run:  SEED=1234 pnpm --filter @flotilla/raft exec vitest run test/sim/linearizability.test.ts
describe('replicated KV under chaos is linearizable (writes through the log, reads through the log or read-index)', () => {
  const { seeds, replay } = seedsFor('linearizability', 200_000, 700);
  it(`holds for ${seeds.length} seeds${replay ? ' (replay)' : ''}`, () => {
    let ops = 0;
    for (const seed of seeds) {
      try {
        ops += runChaos(seed, { chaosTicks: 150, livenessTicks: 300, clients: true }).clientOps;
      } catch (e) {
        throw new Error(
          `linearizability seed ${seed} failed: ${(e as Error).message}\n  replay: SEED=${seed} pnpm --filter @flotilla/raft exec vitest run test/sim/linearizability.test.ts`,
          { cause: e },
        );
      }
    }
    expect(ops).toBeGreaterThan(seeds.length * 5);
  });
});
