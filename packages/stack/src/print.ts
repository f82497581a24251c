// `stack config`: the merged, interpolated, normalised model as YAML, in the layout `docker compose
// config` prints: name, services, networks, volumes, secrets, configs; services and their keys in
// alphabetical order; ports, volumes, secrets and configs in long form.
import { stringify } from 'yaml';
import type { ComposeModel } from './model.js';

function sorted(value: unknown, keepOrder = false): unknown {
  // Written back with "$$" like docker compose config, so the output can be loaded again.
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$');
  if (Array.isArray(value)) return value.map((v) => sorted(v, true));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (!keepOrder) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sorted(v)]));
  }
  return value;
}

/** Ports, mounts and file references keep compose's field order (mode, target, published, protocol). */
const PORT_ORDER = ['mode', 'target', 'published', 'protocol'];
const MOUNT_ORDER = ['type', 'source', 'target', 'read_only'];

function ordered(obj: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

export function printCompose(model: ComposeModel): string {
  const services: Record<string, unknown> = {};
  for (const name of Object.keys(model.services).sort()) {
    const s = sorted(model.services[name]) as Record<string, unknown>;
    if (Array.isArray(s['ports'])) s['ports'] = (s['ports'] as Array<Record<string, unknown>>).map((p) => ordered(p, PORT_ORDER));
    if (Array.isArray(s['volumes'])) s['volumes'] = (s['volumes'] as Array<Record<string, unknown>>).map((m) => ordered(m, MOUNT_ORDER));
    services[name] = s;
  }
  const doc: Record<string, unknown> = { name: model.name, services };
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    if (Object.keys(model[kind]).length > 0) doc[kind] = sorted(model[kind]);
  }
  // YAML 1.1 quoting, as docker compose writes it: "yes" and "on" stay strings for every reader.
  return stringify(doc, { lineWidth: 0, nullStr: 'null', version: '1.1' });
}
