// The object kinds the store holds and, per kind, the secondary indexes it keeps.
import type { Cluster, Config, Lease, Network, Node, Plugin, Secret, Service, Task } from '@flotilla/api';

export interface ObjectByKind {
  cluster: Cluster;
  node: Node;
  service: Service;
  task: Task;
  network: Network;
  secret: Secret;
  config: Config;
  plugin: Plugin;
  lease: Lease;
}
export type Kind = keyof ObjectByKind;
export type StoredObject = ObjectByKind[Kind];
export const KINDS: readonly Kind[] = ['cluster', 'node', 'service', 'task', 'network', 'secret', 'config', 'plugin', 'lease'];

export interface IndexDef<T> {
  /** A unique index refuses a second object with the same key (NameConflict). */
  unique: boolean;
  keys(obj: T): string[];
}

/** Separator inside composite index keys; cannot occur in ids, names or label keys. */
export const SEP = '\u0000';

export function labelKeys(labels: Record<string, string> | undefined): string[] {
  if (labels === undefined) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) out.push(k, `${k}${SEP}${v}`);
  return out;
}

const nonEmpty = (...keys: Array<string | undefined>): string[] => {
  const out: string[] = [];
  for (const k of keys) if (k !== undefined && k !== '' && !out.includes(k)) out.push(k);
  return out;
};

export const slotKey = (serviceId: string, slot: number): string => `${serviceId}${SEP}${slot}`;

type IndexTable<T> = Record<string, IndexDef<T>>;

// Docker requires unique names for services, networks (and the single cluster); node
// hostnames are not unique, so a node name lookup may return several nodes.
export const INDEXES: { [K in Kind]: IndexTable<ObjectByKind[K]> } = {
  cluster: {
    name: { unique: true, keys: (c) => nonEmpty(c.spec?.annotations?.name) },
    label: { unique: false, keys: (c) => labelKeys(c.spec?.annotations?.labels) },
  },
  node: {
    name: { unique: false, keys: (n) => nonEmpty(n.description?.hostname, n.spec?.annotations?.name) },
    label: { unique: false, keys: (n) => labelKeys(n.spec?.annotations?.labels) },
  },
  service: {
    name: { unique: true, keys: (s) => nonEmpty(s.spec?.annotations?.name) },
    label: { unique: false, keys: (s) => labelKeys(s.spec?.annotations?.labels) },
  },
  network: {
    name: { unique: true, keys: (n) => nonEmpty(n.spec?.annotations?.name) },
    label: { unique: false, keys: (n) => labelKeys(n.spec?.annotations?.labels) },
  },
  // A secret's value is sealed; only its name is indexed.
  secret: {
    name: { unique: true, keys: (s) => nonEmpty(s.spec?.annotations?.name) },
    label: { unique: false, keys: (s) => labelKeys(s.spec?.annotations?.labels) },
  },
  config: {
    name: { unique: true, keys: (c) => nonEmpty(c.spec?.annotations?.name) },
    label: { unique: false, keys: (c) => labelKeys(c.spec?.annotations?.labels) },
  },
  // Plugins (issue 17): NAME:TAG is unique, like docker's.
  plugin: {
    name: { unique: true, keys: (p) => nonEmpty(p.spec?.name) },
  },
  // Leases of singleton manager services (issue 16): one per service, id = the service's name.
  lease: {},
  task: {
    service: { unique: false, keys: (t) => nonEmpty(t.serviceId) },
    node: { unique: false, keys: (t) => nonEmpty(t.nodeId) },
    slot: { unique: false, keys: (t) => (t.serviceId === '' ? [] : [slotKey(t.serviceId, t.slot)]) },
    desiredState: { unique: false, keys: (t) => [t.desiredState] },
    label: { unique: false, keys: (t) => labelKeys(t.annotations?.labels) },
  },
};
