import { describe, expect, it } from 'vitest';
import { isDenied } from '../src/deny.js';
import { DAY_MS } from '../src/duration.js';
import { msUntilRenewal, nextRenewalAt } from '../src/renewal.js';

const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date(notBefore.getTime() + 90 * DAY_MS);

describe('nextRenewalAt', () => {
  it('maps rand 0 to 50 % and rand→1 to 80 % of the validity', () => {
    expect(nextRenewalAt(notBefore, notAfter, () => 0).getTime()).toBe(notBefore.getTime() + 45 * DAY_MS);
    const late = nextRenewalAt(notBefore, notAfter, () => 0.999999999).getTime();
    expect(late).toBeLessThanOrEqual(notBefore.getTime() + 72 * DAY_MS);
    expect(late).toBeGreaterThan(notBefore.getTime() + 72 * DAY_MS - 1000);
    expect(nextRenewalAt(notBefore, notAfter, () => 0.5).getTime()).toBe(notBefore.getTime() + 58.5 * DAY_MS);
  });

  it('stays inside the window and spreads across it with a real random source', () => {
    const from = notBefore.getTime() + 0.5 * 90 * DAY_MS;
    const to = notBefore.getTime() + 0.8 * 90 * DAY_MS;
    const buckets = [0, 0, 0, 0, 0];
    for (let i = 0; i < 5000; i += 1) {
      const at = nextRenewalAt(notBefore, notAfter).getTime();
      expect(at).toBeGreaterThanOrEqual(from);
      expect(at).toBeLessThan(to);
      const bucket = Math.floor(((at - from) / (to - from)) * 5);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    // Each fifth of the window expects 1000; 800 is > 6 standard deviations away.
    for (const count of buckets) expect(count).toBeGreaterThan(800);
  });

  it('rejects an empty validity or a bad random source', () => {
    expect(() => nextRenewalAt(notAfter, notBefore)).toThrow('is empty or invalid');
    expect(() => nextRenewalAt(notBefore, new Date(Number.NaN))).toThrow('is empty or invalid');
    expect(() => nextRenewalAt(notBefore, notAfter, () => 1)).toThrow('rand() must return a number in [0, 1)');
  });

  it('msUntilRenewal never goes negative', () => {
    const at = new Date('2026-02-01T00:00:00Z');
    expect(msUntilRenewal(at, new Date('2026-01-31T00:00:00Z'))).toBe(DAY_MS);
    expect(msUntilRenewal(at, new Date('2026-03-01T00:00:00Z'))).toBe(0);
  });
});

describe('isDenied', () => {
  it('finds a node in an array or a set', () => {
    expect(isDenied('a', ['b', 'a'])).toBe(true);
    expect(isDenied('c', ['b', 'a'])).toBe(false);
    expect(isDenied('a', new Set(['a']))).toBe(true);
    expect(isDenied('a', [])).toBe(false);
  });
});
