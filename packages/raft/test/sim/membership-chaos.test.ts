import { describe, expect, it } from 'vitest';
import { runChaos } from './scenario.js';
import { seedsFor } from './seeds.js';

// Replay one failing run:  SEED=1234 pnpm --filter @flotilla/raft exec vitest run test/sim/membership-chaos.test.ts
describe('chaos simulation with membership changes', () => {
  const { seeds, replay } = seedsFor('membership', 100_000, 800);
  it(`holds for ${seeds.length} seeds${replay ? ' (replay)' : ''}`, () => {
    let changes = 0;
    for (const seed of seeds) {
      try {
        changes += runChaos(seed, { chaosTicks: 150, livenessTicks: 300, membership: true }).confChanges;
      } catch (e) {
        throw new Error(
          `membership seed ${seed} failed: ${(e as Error).message}\n  replay: SEED=${seed} pnpm --filter @flotilla/raft exec vitest run test/sim/membership-chaos.test.ts`,
          { cause: e },
        );
      }
    }
    expect(changes).toBeGreaterThan(replay ? 0 : seeds.length / 4);
  });
});
