// Go's JSON encodings the Engine API uses: time.Time as RFC 3339 with trimmed nanoseconds
// (the zero time for "never"), time.Duration as nanoseconds, maps with sorted keys, and
// `omitempty` (only for the fields Docker's types tag with it: a struct field is never omitted).

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** time.Time's JSON: "2016-06-07T21:05:51.88Z" (trailing zeros trimmed), the zero time for 0. */
export function goTime(unixMs: number): string {
  if (!unixMs) return ZERO_TIME;
  const iso = new Date(unixMs).toISOString(); // 2016-06-07T21:05:51.880Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** time.Duration's JSON: nanoseconds. */
export const durationNs = (ms: number): number => ms * 1_000_000;

/** A Go map: the same entries with keys in the order Go writes them (sorted). */
export function goMap<V>(m: Readonly<Record<string, V>> | undefined): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(m ?? {}).sort()) out[k] = m![k]!;
  return out;
}

const isEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === '' ||
  v === 0 ||
  v === false ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && Object.keys(v as object).length === 0);

/** `Key,omitempty`: `{ Key: v }`, or nothing for Go's empty values ('', 0, false, nil, empty slice or map). */
export function opt<K extends string, V>(key: K, v: V): { [P in K]?: V } {
  return (isEmpty(v) ? {} : { [key]: v }) as { [P in K]?: V };
}

/** The fields every swarm object starts with: ID and the embedded swarm.Meta. */
export function objectHeader(id: string, meta: { version: number; createdAt: number; updatedAt: number } | undefined): { ID: string; Version: { Index?: number }; CreatedAt: string; UpdatedAt: string } {
  return { ID: id, Version: { ...opt('Index', meta?.version ?? 0) }, CreatedAt: goTime(meta?.createdAt ?? 0), UpdatedAt: goTime(meta?.updatedAt ?? 0) };
}
