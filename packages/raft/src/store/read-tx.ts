// Read access to one version of the store. Creating a ReadTx pins a root (O(1)); it stays
// consistent however many transactions are applied afterwards, across awaits included.
import type { Cluster, Config, Lease, Network, Node, Plugin, Secret, Service, Task, TaskState } from '@flotilla/api';
import { SEP, slotKey, type Kind, type ObjectByKind } from './kinds.js';
import type { StoreState } from './state.js';
import { lookup, type Table } from './table.js';

export class TableReader<T extends { id: string }> {
  constructor(protected readonly table: Table<T>) {}

  get(id: string): T | undefined {
    return this.table.primary.get(id);
  }

  get count(): number {
    return this.table.primary.size;
  }

  /** Every object, lazily (no copy of the table). */
  all(): IterableIterator<T> {
    return this.table.primary.values();
  }

  /** Objects carrying label `key` (any value), or `key=value` when a value is given. */
  byLabel(key: string, value?: string): T[] {
    return lookup(this.table, 'label', value === undefined ? key : `${key}${SEP}${value}`);
  }
}

/** Kinds whose name is unique (service, network, cluster). */
export class NamedTableReader<T extends { id: string }> extends TableReader<T> {
  byName(name: string): T | undefined {
    return lookup(this.table, 'name', name)[0];
  }
}

export class NodeTableReader extends TableReader<Node> {
  /** Nodes whose hostname or spec name is `name` (hostnames are not unique). */
  byName(name: string): Node[] {
    return lookup(this.table, 'name', name);
  }
}

export class TaskTableReader extends TableReader<Task> {
  byService(serviceId: string): Task[] {
    return lookup(this.table, 'service', serviceId);
  }
  byNode(nodeId: string): Task[] {
    return lookup(this.table, 'node', nodeId);
  }
  /** Tasks (current and historic) of a replicated service's slot; global tasks are slot 0. */
  bySlot(serviceId: string, slot: number): Task[] {
    return lookup(this.table, 'slot', slotKey(serviceId, slot));
  }
  byDesiredState(state: TaskState): Task[] {
    return lookup(this.table, 'desiredState', state);
  }
}

export class ReadTx {
  readonly index: number;
  readonly clusters: NamedTableReader<Cluster>;
  readonly nodes: NodeTableReader;
  readonly services: NamedTableReader<Service>;
  readonly tasks: TaskTableReader;
  readonly networks: NamedTableReader<Network>;
  readonly secrets: NamedTableReader<Secret>;
  readonly configs: NamedTableReader<Config>;
  readonly plugins: NamedTableReader<Plugin>;
  readonly leases: TableReader<Lease>;

  constructor(private readonly state: StoreState) {
    this.index = state.index;
    this.clusters = new NamedTableReader(state.tables.cluster);
    this.nodes = new NodeTableReader(state.tables.node);
    this.services = new NamedTableReader(state.tables.service);
    this.tasks = new TaskTableReader(state.tables.task);
    this.networks = new NamedTableReader(state.tables.network);
    this.secrets = new NamedTableReader(state.tables.secret);
    this.configs = new NamedTableReader(state.tables.config);
    this.plugins = new NamedTableReader(state.tables.plugin);
    this.leases = new TableReader(state.tables.lease);
  }

  get<K extends Kind>(kind: K, id: string): ObjectByKind[K] | undefined {
    return (this.state.tables[kind] as Table<ObjectByKind[K]>).primary.get(id);
  }

  all<K extends Kind>(kind: K): IterableIterator<ObjectByKind[K]> {
    return (this.state.tables[kind] as Table<ObjectByKind[K]>).primary.values();
  }
}
