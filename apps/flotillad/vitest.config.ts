import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two files at a time even on 2 cores: the e2e files mostly wait on daemons, the Engine and
    // the network, and each keeps to its own loopback addresses / test-host subnet, so they do not
    // collide (vitest's default here is one at a time: 798 s against 355 s for this suite).
    maxWorkers: 2,
  },
});
