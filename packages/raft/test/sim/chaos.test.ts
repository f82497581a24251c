import { describe, expect } from 'vitest';
import { runChaos } from './scenario.js';
import { itForSeeds } from './seeds.js';

// Replay one failing run:  SEED=1234 pnpm --filter @flotilla/raft exec vitest run test/sim/chaos.test.ts
describe('chaos simulation: safety under faults, liveness after healing', () => {
  itForSeeds('chaos', 'test/sim/chaos.test.ts', 1, 1000, (seed) => {
    const r = runChaos(seed, { chaosTicks: 150, livenessTicks: 300 });
    expect(r.committed).toBeGreaterThan(0);
  });
});
