// docker's `--filter key=value` for every list, as the Engine API and SwarmKit apply them: the
// keys each list accepts (anything else is `invalid filter 'key'`), values of one key are
// alternatives (labels must all match), different keys must all match. Pure: the CLI applies
// them to what it listed, and the Docker API can apply them to what it answers.
import { NodeRole, ServiceMode, TaskState, taskSlotName, type Config, type Network, type NetworkView, type Node, type Plugin, type Secret, type Service, type Task } from '@flotilla/api';

export class FilterError extends Error {
  override readonly name = 'FilterError';
  /** A malformed flag value (not key=value) is a usage error; the rest are the daemon's refusals. */
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

export type Filters = ReadonlyMap<string, readonly string[]>;

/** The filter keys of each list, as docker 28 accepts them. */
export const FILTER_KEYS = {
  service: ['id', 'label', 'mode', 'name', 'runtime'],
  node: ['id', 'label', 'membership', 'name', 'node.label', 'role'],
  task: ['desired-state', 'id', 'label', 'name', 'node', 'runtime', 'service'],
  network: ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'],
  secret: ['id', 'label', 'name', 'names'],
  config: ['id', 'label', 'name'],
  plugin: ['capability', 'enabled'],
} as const;

export type FilterKind = keyof typeof FILTER_KEYS;

/** `-f key=value` flags: keys lower-cased and both sides trimmed, as docker's ParseFlag does. */
export function parseFilters(values: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of values) {
    if (raw === '') continue;
    const eq = raw.indexOf('=');
    if (eq < 0) throw new FilterError(`invalid argument ${JSON.stringify(raw)} for "-f, --filter" flag: bad format of filter (expected name=value)`, true);
    const key = raw.slice(0, eq).trim().toLowerCase();
    out.set(key, [...(out.get(key) ?? []), raw.slice(eq + 1).trim()]);
  }
  return out;
}

const TASK_STATES = new Set(Object.values(TaskState).filter((s) => s !== TaskState.UNRECOGNIZED).map((s) => s.replace(/^TASK_STATE_/, '').toLowerCase()));

/**
 * Refuses a key the list does not know and the values docker refuses before listing
 * (role, membership, desired-state, enabled, type, dangling), with docker's words.
 */
export function checkFilters(kind: FilterKind, f: Filters): void {
  const accepted: readonly string[] = FILTER_KEYS[kind];
  for (const key of f.keys()) if (!accepted.includes(key)) throw new FilterError(`invalid filter '${key}'`);
  const each = (key: string, ok: (v: string) => boolean, message: (v: string) => string) => {
    for (const v of f.get(key) ?? []) if (v !== '' && !ok(v)) throw new FilterError(message(v));
  };
  if (kind === 'node') {
    each('role', (v) => ['manager', 'worker'].includes(v.toLowerCase()), (v) => `Invalid role filter: '${v}'`);
    each('membership', (v) => ['accepted', 'pending'].includes(v.toLowerCase()), (v) => `Invalid membership filter: '${v}'`);
  }
  if (kind === 'task') each('desired-state', (v) => TASK_STATES.has(v.toLowerCase()), (v) => `Invalid desired-state filter: '${v}'`);
  if (kind === 'plugin') {
    const enabled = f.get('enabled') ?? [];
    if (enabled.length > 0 && !enabled.includes('true') && !enabled.includes('false')) throw new FilterError(`invalid filter 'enabled=[${enabled.join(' ')}]'`);
  }
  if (kind === 'network') {
    each('type', (v) => v === 'custom' || v === 'builtin', (v) => `invalid filter: 'type'='${v}'`);
    const dangling = f.get('dangling') ?? [];
    if (dangling.length > 1) throw new FilterError('got more than one value for filter key "dangling"');
    if (dangling.length === 1 && !['0', '1', 'true', 'false'].includes(dangling[0]!)) {
      throw new FilterError(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`);
    }
  }
}

/** Checks and parses in one go. */
export function filtersFor(kind: FilterKind, values: readonly string[]): Filters {
  const f = parseFilters(values);
  checkFilters(kind, f);
  return f;
}

// --- matching ---

const anyOf = (f: Filters, key: string, test: (v: string) => boolean): boolean => {
  const values = f.get(key);
  return values === undefined || values.length === 0 || values.some(test);
};

/** label=KEY or label=KEY=VALUE, every one of them (SwarmKit's filterMatchLabels). */
export function matchLabels(values: readonly string[] | undefined, labels: Readonly<Record<string, string>>): boolean {
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    const want = eq < 0 ? '' : v.slice(eq + 1);
    if (!Object.hasOwn(labels, key)) return false;
    if (want !== '' && labels[key] !== want) return false;
  }
  return true;
}

const prefix = (value: string) => (v: string) => value.startsWith(v);

export const serviceModeWord = (s: Service): string => (s.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL ? 'global' : 'replicated');

export function matchService(f: Filters, s: Service): boolean {
  return (
    anyOf(f, 'id', prefix(s.id)) &&
    anyOf(f, 'name', prefix(s.spec?.annotations?.name ?? '')) &&
    matchLabels(f.get('label'), s.spec?.annotations?.labels ?? {}) &&
    anyOf(f, 'mode', (v) => v === serviceModeWord(s)) &&
    anyOf(f, 'runtime', (v) => v === 'container')
  );
}

/** name matches the hostname's start; label is engine labels, node.label the node's own. */
export function matchNode(f: Filters, n: Node): boolean {
  const role = n.role === NodeRole.NODE_ROLE_MANAGER ? 'manager' : 'worker';
  return (
    anyOf(f, 'id', prefix(n.id)) &&
    anyOf(f, 'name', prefix(n.description?.hostname ?? '')) &&
    matchLabels(f.get('label'), n.description?.engine?.labels ?? {}) &&
    matchLabels(f.get('node.label'), n.spec?.annotations?.labels ?? {}) &&
    anyOf(f, 'role', (v) => v === '' || v.toLowerCase() === role) &&
    // A node in the list has been accepted: Flotilla has no pending memberships.
    anyOf(f, 'membership', (v) => v === '' || v.toLowerCase() === 'accepted')
  );
}

/**
 * A task: name matches `<service>.<slot or node>.<task id>` from the start, node and service are
 * ids (the CLI resolves names first), label matches the service's labels.
 */
export function matchTask(f: Filters, t: Task, service?: Service): boolean {
  const serviceName = t.serviceName || service?.spec?.annotations?.name || t.serviceId;
  const fullName = `${taskSlotName(serviceName, t)}.${t.id}`;
  const desired = t.desiredState.replace(/^TASK_STATE_/, '').toLowerCase();
  return (
    anyOf(f, 'id', prefix(t.id)) &&
    anyOf(f, 'name', prefix(fullName)) &&
    matchLabels(f.get('label'), { ...(service?.spec?.annotations?.labels ?? {}), ...(t.annotations?.labels ?? {}) }) &&
    anyOf(f, 'node', (v) => v === t.nodeId) &&
    anyOf(f, 'service', (v) => v === t.serviceId) &&
    anyOf(f, 'desired-state', (v) => v === '' || v.toLowerCase() === desired) &&
    anyOf(f, 'runtime', (v) => v === 'container')
  );
}

/** Docker's predefined networks; Flotilla has none of them (every swarm network is custom). */
const PREDEFINED = new Set(['bridge', 'host', 'none', 'default']);

/** name is a part of the name (docker matches it as a pattern), id the start of the id. */
export function matchNetwork(f: Filters, v: NetworkView): boolean {
  const n: Network = v.network!;
  const name = n.spec?.annotations?.name ?? '';
  const predefined = PREDEFINED.has(name);
  const dangling = f.get('dangling')?.[0];
  const inUse = predefined || v.services.length > 0 || v.tasks.length > 0;
  return (
    anyOf(f, 'driver', (d) => d === (n.spec?.driver || 'overlay')) &&
    anyOf(f, 'name', (p) => name.includes(p)) &&
    anyOf(f, 'id', prefix(n.id)) &&
    matchLabels(f.get('label'), n.spec?.annotations?.labels ?? {}) &&
    anyOf(f, 'scope', (s) => s === 'swarm') &&
    anyOf(f, 'type', (t) => (t === 'builtin') === predefined) &&
    (dangling === undefined || (dangling === 'true' || dangling === '1' ? !inUse : inUse))
  );
}

export function matchSecret(f: Filters, s: Secret): boolean {
  const name = s.spec?.annotations?.name ?? '';
  return (
    anyOf(f, 'id', prefix(s.id)) &&
    anyOf(f, 'name', prefix(name)) &&
    anyOf(f, 'names', (v) => v === name) &&
    matchLabels(f.get('label'), s.spec?.annotations?.labels ?? {})
  );
}

export function matchConfig(f: Filters, c: Config): boolean {
  return anyOf(f, 'id', prefix(c.id)) && anyOf(f, 'name', prefix(c.spec?.annotations?.name ?? '')) && matchLabels(f.get('label'), c.spec?.annotations?.labels ?? {});
}

/** The capabilities of a plugin's interface types: docker.volumedriver/1.0 → volumedriver. */
export function pluginCapabilities(p: Plugin): string[] {
  try {
    const types = (JSON.parse(p.spec?.configJson ?? '{}') as { interface?: { types?: unknown } }).interface?.types;
    return Array.isArray(types) ? types.map((t) => String(t).replace(/^docker\./, '').replace(/\/.*$/, '').toLowerCase()) : [];
  } catch {
    return [];
  }
}

export function matchPlugin(f: Filters, p: Plugin): boolean {
  const enabled = f.get('enabled') ?? [];
  const wantEnabled = enabled.includes('true');
  const wantDisabled = enabled.includes('false');
  return (
    (enabled.length === 0 || (wantEnabled && p.spec?.enabled) || (wantDisabled && !p.spec?.enabled) || false) &&
    anyOf(f, 'capability', (c) => pluginCapabilities(p).includes(c.toLowerCase()))
  );
}
