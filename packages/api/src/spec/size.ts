import { SpecError } from './errors.js';

// Binary multiples, as docker's RAMInBytes: "1k" is 1024 bytes.
const MEMORY_UNITS: Readonly<Record<string, bigint>> = {
  '': 1n,
  b: 1n,
  k: 1024n,
  m: 1024n ** 2n,
  g: 1024n ** 3n,
  t: 1024n ** 4n,
  p: 1024n ** 5n,
};
const NANO_PER_CPU = 1_000_000_000n;

/**
 * Parses a memory size the way docker does: "512M", "1g", "1024k", "1.5g".
 * Suffixes b, k, m, g, t, p in any case, with an optional trailing "b"
 * ("512mb"); no suffix means bytes; units are binary (1k = 1024). Returns whole bytes
 * (fractions of a byte are dropped). Throws SpecError with field "memory".
 */
export function parseMemoryBytes(text: string): number {
  const fail = (why: string): never => {
    throw new SpecError('memory', `invalid memory size ${JSON.stringify(text)}: ${why}`);
  };
  const m = /^\s*(\d+)(?:\.(\d+))?\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return fail('expected a number with an optional unit, like 512m or 1g');
  const whole = m[1] ?? '0';
  const frac = m[2] ?? '';
  let unit = (m[3] ?? '').toLowerCase();
  if (unit.length === 2 && unit.endsWith('b')) unit = unit.slice(0, 1);
  const scale = MEMORY_UNITS[unit];
  if (scale === undefined) return fail(`unknown unit ${JSON.stringify(m[3])} (use b, k, m, g, t or p)`);
  let bytes = BigInt(whole) * scale;
  if (frac !== '') bytes += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) return fail('too large');
  return Number(bytes);
}

/**
 * Parses a CPU count ("0.5", "2", "1.25") into nano-CPUs (1e9 = one core),
 * as docker's --cpus / --limit-cpu. More than 9 decimals is refused rather
 * than silently rounded. Throws SpecError with field "cpus".
 */
export function parseNanoCpus(text: string): number {
  const fail = (why: string): never => {
    throw new SpecError('cpus', `invalid CPU count ${JSON.stringify(text)}: ${why}`);
  };
  const m = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(text);
  const whole = m?.[1] ?? '';
  const frac = m?.[2] ?? '';
  if (!m || (whole === '' && frac === '')) return fail('expected a decimal number of CPUs, like 0.5 or 2');
  if (frac.length > 9) return fail('more precise than one nano-CPU (at most 9 decimals)');
  const nano = BigInt(whole || '0') * NANO_PER_CPU + BigInt(frac.padEnd(9, '0') || '0');
  if (nano > BigInt(Number.MAX_SAFE_INTEGER)) return fail('too large');
  return Number(nano);
}

/** Renders bytes like docker's human sizes in binary units: "512MiB", "1.5GiB", "100B". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
  return `${text}${units[i]}`;
}

/** Renders nano-CPUs as a decimal CPU count: 500000000 -> "0.5". */
export function formatNanoCpus(nano: number): string {
  const whole = Math.trunc(nano / 1e9);
  const frac = String(Math.abs(nano % 1e9)).padStart(9, '0').replace(/0+$/, '');
  return frac === '' ? String(whole) : `${whole}.${frac}`;
}
