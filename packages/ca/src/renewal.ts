import { CaError } from './errors.js';

export const RENEW_WINDOW_START = 0.5;
export const RENEW_WINDOW_END = 0.8;

/**
 * When to renew: uniformly between 50 % and 80 % of the validity elapsed, so
 * a cluster whose nodes joined together does not renew all at once and a
 * failed attempt still leaves a fifth of the lifetime to retry.
 * `rand` returns [0, 1) like Math.random; injected for tests.
 */
export function nextRenewalAt(notBefore: Date, notAfter: Date, rand: () => number = Math.random): Date {
  const start = notBefore.getTime();
  const end = notAfter.getTime();
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
    throw new CaError('invalid-argument', `computing the renewal time: validity ${String(notBefore)} to ${String(notAfter)} is empty or invalid`);
  }
  const r = rand();
  if (!(r >= 0 && r < 1)) {
    throw new CaError('invalid-argument', `computing the renewal time: rand() must return a number in [0, 1), got ${r}`);
  }
  const validity = end - start;
  const from = start + validity * RENEW_WINDOW_START;
  const to = start + validity * RENEW_WINDOW_END;
  return new Date(Math.floor(from + (to - from) * r));
}

/** Milliseconds until renewal from `now`; 0 when the moment has passed. */
export function msUntilRenewal(renewAt: Date, now: Date = new Date()): number {
  return Math.max(0, renewAt.getTime() - now.getTime());
}
