import { SpecError } from './errors.js';

// Nanoseconds per unit, as BigInt so "8760h" or "1.000000001s" stay exact.
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign, accepted by Go
  'μs': 1_000n, // U+03BC greek mu, accepted by Go
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const NS_PER_MS = 1_000_000n;

/**
 * Parses a Go-style duration ("1h2m3s", "500ms", "1.5s", "-2m", "0s") and
 * returns whole milliseconds, truncated toward zero like Go's
 * Duration.Milliseconds() ("1500us" -> 1). As in Go, a bare "0" is accepted;
 * any other number without a unit is rejected, because "5" meaning 5 ns (or
 * 5 s) is the classic mistake. Throws SpecError with field "duration".
 */
export function parseDuration(text: string): number {
  const fail = (why: string): never => {
    throw new SpecError('duration', `invalid duration ${JSON.stringify(text)}: ${why}`);
  };
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') fail('empty');

  let totalNs = 0n;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const frac = number?.[2] ?? '';
    if (whole === '' && frac === '') fail(`expected a number at ${JSON.stringify(rest)}`);
    rest = rest.slice(number?.[0].length ?? 0);
    const unitMatch = /^[^\d.]+/.exec(rest);
    const unit = unitMatch?.[0] ?? '';
    if (unit === '') fail(`missing unit after ${JSON.stringify(whole + (frac ? '.' + frac : ''))} (use ns, us, ms, s, m or h)`);
    const perUnit = UNIT_NS[unit];
    if (perUnit === undefined) fail(`unknown unit ${JSON.stringify(unit)} (use ns, us, ms, s, m or h)`);
    rest = rest.slice(unit.length);
    const scale = perUnit as bigint;
    totalNs += BigInt(whole || '0') * scale;
    if (frac !== '') totalNs += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
  }
  const ms = totalNs / NS_PER_MS;
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) fail('too large');
  // Avoid -0: "-0s" is plain zero.
  return negative && ms !== 0n ? -Number(ms) : Number(ms);
}

/** Renders milliseconds the way Go prints a Duration: "0s", "500ms", "1h2m3.5s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatDuration: ${ms} is not a finite number of milliseconds`);
  const whole = Math.trunc(ms);
  if (whole === 0) return '0s';
  const sign = whole < 0 ? '-' : '';
  let rest = Math.abs(whole);
  if (rest < 1000) return `${sign}${rest}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const secText = millis === 0 ? `${seconds}` : `${seconds}.${String(millis).padStart(3, '0').replace(/0+$/, '')}`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${secText}s`;
  if (minutes > 0) return `${sign}${minutes}m${secText}s`;
  return `${sign}${secText}s`;
}
