import { describe, expect, it } from 'vitest';
import { runChaos } from './scenario.js';
import { seedsFor } from './seeds.js';

// Replay one failing run:  SEED=1234 pnpm --filter @flotilla/raft exec vitest run test/sim/chaos.test.ts
describe('chaos simulation: safety under faults, liveness after healing', () => {
  const { seeds, replay } = seedsFor('chaos', 1, 1000);
  it(`holds for ${seeds.length} seeds${replay ? ' (replay)' : ''}`, () => {
    let committed = 0;
    for (const seed of seeds) {
      try {
        committed += runChaos(seed, { chaosTicks: 150, livenessTicks: 300 }).committed;
      } catch (e) {
        throw new Error(`chaos seed ${seed} failed: ${(e as Error).message}\n  replay: SEED=${seed} pnpm --filter @flotilla/raft exec vitest run test/sim/chaos.test.ts`, {
          cause: e,
        });
      }
    }
    expect(committed).toBeGreaterThan(seeds.length);
  });
});
