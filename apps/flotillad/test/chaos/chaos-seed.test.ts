// The chaos suite's CI seed (test/chaos/run-chaos.ts): a real cluster on test hosts (3 managers,
// 2 workers), 4 clients writing services, 30 s of seeded faults, then the verdicts. Longer runs
// and other seeds: `npm run test:chaos -- --seconds S --seed N [--managers 3|5]` (see README).
import { describe, expect, it } from 'vitest';
import { reproduceCommand, runChaos, type ChaosOptions } from './run-chaos.js';

const CI_SEED: ChaosOptions = { seed: 14, seconds: 30, managers: 3, convergeBoundS: 120 };

describe('chaos suite, CI seed', () => {
  it(`seed ${CI_SEED.seed}: nothing acknowledged lost or duplicated, the history linearizable, the cluster converges`, async () => {
    const lines: string[] = [];
    const r = await runChaos({ ...CI_SEED, say: (line) => lines.push(line) });
    const report = [...lines, ...r.problems.map((p) => `FAILED ${p}`), r.line, `again: ${reproduceCommand(CI_SEED)}`].join('\n');
    expect(r.summary.faults, report).toBeGreaterThan(0);
    expect(r.summary.acked, report).toBeGreaterThan(0);
    expect({ lost: r.summary.lost, duplicate: r.summary.duplicate, linearizable: r.summary.linearizable }, report).toEqual({ lost: 0, duplicate: 0, linearizable: 'yes' });
    expect(r.problems, report).toEqual([]);
  }, 420_000);
});
