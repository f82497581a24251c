/** A "Key: value" line of `docker version`/`docker info` style output. */
export type Field = readonly [label: string, value: string];

/**
 * Renders fields one per line under `indent`, values aligned in one column the way
 * `docker version` aligns them.
 */
export function renderAlignedFields(fields: readonly Field[], indent: string): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length + 1));
  return fields.map(([label, value]) => `${indent}${`${label}:`.padEnd(width)} ${value}`.trimEnd() + '\n').join('');
}

/** Renders fields as `docker info` does: "Key: value", no alignment. */
export function renderFields(fields: readonly Field[], indent: string): string {
  return fields.map(([label, value]) => `${indent}${label}: ${value}`.trimEnd() + '\n').join('');
}
