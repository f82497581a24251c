import { formatDuration } from './duration.js';
import { SpecError } from './errors.js';

/**
 * Deep-partial view of a generated message: what a caller may hand to a
 * validator. A field left undefined takes its default; a field that is set is
 * checked as given (so an explicit 0 stays 0).
 */
export type SpecInput<T> = T extends string | number | boolean | Uint8Array
  ? T
  : T extends ReadonlyArray<infer U>
    ? ReadonlyArray<SpecInput<U>>
    : T extends object
      ? { [K in keyof T]?: SpecInput<T[K]> | undefined }
      : T;

/** Collects every problem found in one spec, in field order. */
export class Problems {
  readonly list: SpecError[] = [];

  add(field: string, message: string): void {
    this.list.push(new SpecError(field, message));
  }

  /** Runs a parser that throws SpecError and records its message under `field`. */
  parse<T>(field: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SpecError) {
        this.add(field, err.message);
        return undefined;
      }
      throw err;
    }
  }

  /** Throws the first problem, so callers that want one error get the earliest field. */
  throwFirst(): void {
    const first = this.list[0];
    if (first) throw first;
  }
}

/** Reads a number field: undefined means "use the default". */
export function numberOr(value: number | undefined, fallback: number): number {
  return value === undefined ? fallback : value;
}

export function checkInteger(p: Problems, field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value)) {
    p.add(field, `${field} must be a whole number (got ${value})`);
  } else if (value < min) {
    p.add(field, `${field} must be >= ${min} (got ${value})`);
  } else if (value > max) {
    p.add(field, `${field} must be <= ${max} (got ${value})`);
  }
}

/** Durations are whole milliseconds and never negative; `minMs` above 0 is shown Go-style ("1h0m0s"). */
export function checkDurationMs(p: Problems, field: string, value: number, minMs = 0): void {
  if (!Number.isInteger(value)) {
    p.add(field, `${field} must be a whole number of milliseconds (got ${value})`);
  } else if (value < minMs) {
    p.add(field, minMs === 0 ? `${field} must be >= 0 (got ${value})` : `${field} must be >= ${formatDuration(minMs)} (got ${formatDuration(value)})`);
  }
}

/** For periods where zero would mean "never" or a busy loop. */
export function checkPositiveDurationMs(p: Problems, field: string, value: number): void {
  if (!Number.isInteger(value)) p.add(field, `${field} must be a whole number of milliseconds (got ${value})`);
  else if (value <= 0) p.add(field, `${field} must be > 0 (got ${value})`);
}

/** Checks that `value` is one of the enum's real members (not UNRECOGNIZED, not a stray string). */
export function checkEnum<E extends Record<string, string>>(
  p: Problems,
  field: string,
  enumObject: E,
  value: unknown,
): void {
  const allowed = Object.values(enumObject).filter((v) => v !== 'UNRECOGNIZED');
  if (typeof value !== 'string' || !allowed.includes(value)) {
    p.add(field, `${field} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
}

/** Label keys must be non-empty and free of whitespace and '='. */
export function checkLabels(p: Problems, field: string, labels: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key === '') p.add(field, `${field}: label key must not be empty`);
    else if (/[\s=]/.test(key)) p.add(`${field}.${key}`, `${field}: label key ${JSON.stringify(key)} must not contain spaces or "="`);
    out[key] = value ?? '';
  }
  return out;
}
