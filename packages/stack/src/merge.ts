// Merging several compose files (-c base.yml -c override.yml) by the compose specification's
// rules: mappings merge key by key, the later file winning; sequences append; command,
// entrypoint and healthcheck.test are replaced; ports, volumes, secrets and configs are unique
// resources (a later entry with the same key replaces the earlier one); list-or-mapping keys
// (environment, labels, ...) merge as mappings.

type Tree = Record<string, unknown>;

const isObj = (v: unknown): v is Tree => v !== null && typeof v === 'object' && !Array.isArray(v);

/** environment, labels, ... as a mapping, whichever form was written. */
export function asMapping(v: unknown, sep = '='): Tree {
  if (isObj(v)) return { ...v };
  if (!Array.isArray(v)) return {};
  const out: Tree = {};
  for (const item of v) {
    const s = String(item);
    const i = s.indexOf(sep);
    if (i < 0) out[s] = null;
    else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

const LIST_OR_DICT = new Set(['environment', 'labels', 'sysctls']);
const REPLACED = new Set(['command', 'entrypoint']);

/** The unique key of a ports entry (its text, or the mapping's fields). */
function portKey(p: unknown): string {
  if (isObj(p)) return `${p['published'] ?? ''}:${p['target'] ?? ''}/${p['protocol'] ?? 'tcp'}:${p['mode'] ?? 'ingress'}`;
  const s = String(p);
  const [ports = '', proto = 'tcp'] = s.split('/');
  const parts = ports.split(':');
  const target = parts[parts.length - 1];
  const published = parts.length > 1 ? parts[parts.length - 2] : '';
  return `${published}:${target}/${proto}:ingress`;
}

/** The target of a volumes entry: long form's target, short form's second field (or only field). */
function volumeKey(v: unknown): string {
  if (isObj(v)) return String(v['target'] ?? '');
  const parts = String(v).split(':');
  return parts.length === 1 ? parts[0]! : parts[1]!;
}

/** The target of a secrets/configs entry (short form: the name). */
function fileRefKey(v: unknown): string {
  if (isObj(v)) return String(v['target'] ?? v['source'] ?? '');
  return String(v);
}

function mergeUnique(base: unknown, over: unknown, key: (v: unknown) => string): unknown[] {
  const out = new Map<string, unknown>();
  for (const v of Array.isArray(base) ? base : []) out.set(key(v), v);
  for (const v of Array.isArray(over) ? over : []) {
    out.delete(key(v)); // the later definition takes the earlier's place at the end, as compose prints it
    out.set(key(v), v);
  }
  return [...out.values()];
}

function mergeService(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    if (b === undefined || v === null) {
      out[k] = v;
      continue;
    }
    if (REPLACED.has(k)) out[k] = v;
    else if (LIST_OR_DICT.has(k)) out[k] = { ...asMapping(b), ...asMapping(v) };
    else if (k === 'extra_hosts') out[k] = { ...asMapping(b, ':'), ...asMapping(v, ':') };
    else if (k === 'networks' || k === 'depends_on') out[k] = { ...asMapping(b), ...asMapping(v) };
    else if (k === 'ports') out[k] = mergeUnique(b, v, portKey);
    else if (k === 'volumes') out[k] = mergeUnique(b, v, volumeKey);
    else if (k === 'secrets' || k === 'configs') out[k] = mergeUnique(b, v, fileRefKey);
    else if (k === 'healthcheck' && isObj(b) && isObj(v)) out[k] = { ...b, ...v };
    else if (k === 'deploy' && isObj(b) && isObj(v)) out[k] = mergeDeploy(b, v);
    else out[k] = mergeValue(b, v);
  }
  return out;
}

function mergeDeploy(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    if (k === 'labels' && b !== undefined) out[k] = { ...asMapping(b), ...asMapping(v) };
    else out[k] = b === undefined ? v : mergeValue(b, v);
  }
  return out;
}

/** Plain rules: mappings merge, sequences append (without repeating a scalar), scalars are replaced. */
export function mergeValue(base: unknown, over: unknown): unknown {
  if (isObj(base) && isObj(over)) {
    const out: Tree = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeValue(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    const out = [...base];
    for (const v of over) if (isObj(v) || Array.isArray(v) || !out.includes(v)) out.push(v);
    return out;
  }
  return over;
}

/** Merges parsed, interpolated files in order: later files override earlier ones. */
export function mergeFiles(trees: readonly unknown[]): Tree {
  let out: Tree = {};
  for (const t of trees) {
    const tree = isObj(t) ? t : {};
    const next: Tree = { ...out };
    for (const [k, v] of Object.entries(tree)) {
      if (k === 'services' && isObj(v) && isObj(out['services'])) {
        const services: Tree = { ...(out['services'] as Tree) };
        for (const [name, svc] of Object.entries(v)) {
          const b = services[name];
          services[name] = isObj(b) && isObj(svc) ? mergeService(b, svc) : svc;
        }
        next[k] = services;
      } else if (k in out) next[k] = mergeValue(out[k], v);
      else next[k] = v;
    }
    out = next;
  }
  return out;
}
