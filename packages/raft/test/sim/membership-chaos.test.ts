import { describe, expect } from 'vitest';
import { runChaos } from './scenario.js';
import { itForSeeds } from './seeds.js';

// Replay one failing run:  SEED=1234 pnpm --filter @flotilla/raft exec vitest run test/sim/membership-chaos.test.ts
describe('chaos simulation with membership changes', () => {
  itForSeeds('membership', 'test/sim/membership-chaos.test.ts', 100_000, 800, (seed) => {
    const r = runChaos(seed, { chaosTicks: 150, livenessTicks: 300, membership: true });
    expect(r.committed).toBeGreaterThan(0);
  });
});
