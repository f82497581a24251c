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
