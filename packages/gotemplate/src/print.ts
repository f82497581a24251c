// Go's fmt printing of template values: %v (what an action prints), Sprint and Sprintln.
import { GoMethod, isGoStruct, sortedKeys, structFields } from './values.js';

/** %v (and %g) of a float64, as fmt prints it: the shortest digits, in %e form below 1e-4 and from 1e6. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const e = f.toExponential();
  const exp = Number(e.slice(e.indexOf('e') + 1));
  // strconv's shortest %g decides with a precision of 6: 1234567.5 is "1.2345675e+06".
  if (exp < -4 || exp >= 6) return goExponent(e);
  return String(f);
}

/** JavaScript's "1.5e-7" → Go's "1.5e-07" (at least two exponent digits). */
export function goExponent(js: string): string {
  return js.replace(/e([+-])(\d)$/, 'e$10$2');
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? n.toFixed(0) : formatFloat(n);
}

/** fmt's %v. `undefined` (Go's invalid value) prints "<nil>" inside composites. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (v instanceof GoMethod || typeof v === 'function') return '0x1';
  if (isGoStruct(v)) return `{${structFields(v).map(([, f]) => formatValue(f)).join(' ')}}`;
  const m = v as Record<string, unknown>;
  return `map[${sortedKeys(m).map((k) => `${k}:${formatValue(m[k])}`).join(' ')}]`;
}

/** fmt.Sprint: a space between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands and a newline. */
export function sprintln(args: readonly unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}
