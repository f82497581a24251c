import { describe, expect } from 'vitest';
import { runChaos } from './scenario.js';
import { itForSeeds } from './seeds.js';

// Replay one failing run:  SEED=1234 pnpm --filter @flotilla/raft exec vitest run test/sim/linearizability.test.ts
describe('replicated KV under chaos is linearizable (writes through the log, reads through the log or read-index)', () => {
  itForSeeds('linearizability', 'test/sim/linearizability.test.ts', 200_000, 700, (seed) => {
    const r = runChaos(seed, { chaosTicks: 150, livenessTicks: 300, clients: true });
    expect(r.committed).toBeGreaterThan(0);
  });
});
