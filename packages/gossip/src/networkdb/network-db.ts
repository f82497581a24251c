import type { NetworkDbEndpoint, NetworkDbEntry, NetworkDbMembership, NetworkDbMessage, NetworkDbVtep } from '@flotilla/api';
import { LamportClock, newer } from './lamport.js';

export const ENDPOINT_TABLE = 'endpoints';
export const VTEP_TABLE = 'vteps';

export interface NetworkDbOptions {
  nodeId: string;
  /** Tombstones and departed group members are forgotten after this long. */
  tombstoneTtlMs?: number;
  /** Wall-clock milliseconds as the Lamport clock's floor (see LamportClock); none by default. */
  clockFloor?: () => number;
}

interface Row {
  entry: NetworkDbEntry;
  /** Local time the row became a tombstone (for reaping). */
  deletedAt?: number;
  /** Local time its owner was declared gone: hidden, back if the owner returns, reaped after the TTL. */
  goneAt?: number;
}

interface GroupMember {
  lamport: number;
  leaving: boolean;
  since: number;
  /** Put out of the group by `nodeGone` (not by its own leave): `nodeBack` puts it back. */
  gone?: boolean;
}

/** Counts for one network this node has joined (for `flotilla info`). */
export interface NetworkDbGroupStats {
  networkId: string;
  /** Nodes in the group, this one included. */
  peers: number;
  endpoints: number;
  vteps: number;
  tombstones: number;
}

export type NetworkDbChange =
  | { type: 'put'; networkId: string; table: string; key: string; entry: NetworkDbEntry }
  | { type: 'delete'; networkId: string; table: string; key: string; entry: NetworkDbEntry }
  | { type: 'peer-join' | 'peer-leave'; networkId: string; nodeId: string };

/**
 * The per-network state that overlay networking and the load balancer need from every
 * node: endpoints (task id, service, IP, node) and each node's VTEP address, for each
 * overlay network, plus who is in each network's group. Pure: writes return the
 * NetworkDbMessage to gossip, and `apply` merges what arrives from others.
 *
 * Every write carries (Lamport time, owner); the newer write wins everywhere, whatever
 * order messages arrive in and however often. A delete is a tombstone carrying its own
 * time, so an older put arriving late cannot bring a row back; tombstones are reaped
 * after `tombstoneTtlMs`, which must outlast gossip's longest delivery delay.
 */
export class NetworkDb {
  readonly nodeId: string;
  private readonly ttlMs: number;
  private readonly clock: LamportClock;
  /** networkId → table → key → row; only for networks this node has joined. */
  private readonly tables = new Map<string, Map<string, Map<string, Row>>>();
  /** networkId → nodeId → group membership, for every network we hear of. */
  private readonly groups = new Map<string, Map<string, GroupMember>>();

  constructor(options: NetworkDbOptions) {
    if (!options.nodeId) throw new Error('network DB needs a node id');
    this.nodeId = options.nodeId;
    this.ttlMs = options.tombstoneTtlMs ?? 30 * 60_000;
    this.clock = new LamportClock(options.clockFloor);
  }

  get lamport(): number {
    return this.clock.now;
  }

  // ------------------------------------------------------------ local writes

  joinNetwork(networkId: string, now: number): NetworkDbMessage {
    requireId('network id', networkId);
    if (!this.tables.has(networkId)) this.tables.set(networkId, new Map());
    return this.setMembership({ networkId, nodeId: this.nodeId, lamport: this.clock.tick(), leaving: false }, now).message;
  }

  /** Leaves the group: our own rows are deleted and the network's rows dropped locally. */
  leaveNetwork(networkId: string, now: number): NetworkDbMessage[] {
    requireId('network id', networkId);
    const messages: NetworkDbMessage[] = [];
    for (const [table, rows] of this.tables.get(networkId) ?? []) {
      for (const [key, row] of rows) {
        if (row.entry.owner === this.nodeId && !row.entry.deleted) messages.push(this.remove(networkId, table, key, now));
      }
    }
    messages.push(this.setMembership({ networkId, nodeId: this.nodeId, lamport: this.clock.tick(), leaving: true }, now).message);
    this.tables.delete(networkId);
    return messages;
  }

  putEndpoint(networkId: string, endpoint: NetworkDbEndpoint, now: number): NetworkDbMessage {
    requireId('network id', networkId);
    requireId('endpoint task id', endpoint.taskId);
    requireId(`endpoint ${endpoint.taskId} ip`, endpoint.ip);
    return this.write(networkId, ENDPOINT_TABLE, endpoint.taskId, { $case: 'endpoint', value: { ...endpoint, nodeId: endpoint.nodeId || this.nodeId } }, now);
  }

  deleteEndpoint(networkId: string, taskId: string, now: number): NetworkDbMessage {
    requireId('network id', networkId);
    requireId('endpoint task id', taskId);
    return this.remove(networkId, ENDPOINT_TABLE, taskId, now);
  }

  /** Publishes where this node terminates VXLAN for the network. */
  putVtep(networkId: string, addr: string, now: number): NetworkDbMessage {
    requireId('network id', networkId);
    requireId('VTEP address', addr);
    const vtep: NetworkDbVtep = { nodeId: this.nodeId, addr };
    return this.write(networkId, VTEP_TABLE, this.nodeId, { $case: 'vtep', value: vtep }, now);
  }

  // ------------------------------------------------------------ merging

  /** Merges a message from another node; returns what changed here (nothing if stale). */
  apply(message: NetworkDbMessage, now: number): NetworkDbChange[] {
    const kind = message.kind;
    if (!kind) return [];
    if (kind.$case === 'membership') {
      this.clock.witness(kind.value.lamport);
      return this.setMembership(kind.value, now).changes;
    }
    const entry = kind.value;
    this.clock.witness(entry.lamport);
    const tables = this.tables.get(entry.networkId);
    if (!tables) return []; // not our network: its rows come in a bulk sync when we join
    return this.merge(tables, entry, now);
  }

  /** Everything we hold for a network (tombstones too), to send to a node that just joined it. */
  bulkSync(networkId: string): NetworkDbMessage[] {
    const out: NetworkDbMessage[] = [];
    for (const [nodeId, m] of this.groups.get(networkId) ?? []) {
      out.push({ kind: { $case: 'membership', value: { networkId, nodeId, lamport: m.lamport, leaving: m.leaving } } });
    }
    for (const rows of this.tables.get(networkId)?.values() ?? []) {
      for (const row of rows.values()) out.push({ kind: { $case: 'entry', value: row.entry } });
    }
    return out;
  }

  /**
   * Gossip declared a node dead or gone: its rows are hidden here (every node does the
   * same on its own, so nobody needs to gossip the deletes) and it leaves every group.
   * If it comes back (`nodeBack`) before the TTL, its rows return as they were.
   */
  nodeGone(nodeId: string, now: number): NetworkDbChange[] {
    const changes: NetworkDbChange[] = [];
    for (const [networkId, tables] of this.tables) {
      for (const [table, rows] of tables) {
        for (const [key, row] of rows) {
          if (row.entry.owner !== nodeId || row.entry.deleted || row.goneAt !== undefined) continue;
          row.goneAt = now;
          changes.push({ type: 'delete', networkId, table, key, entry: row.entry });
        }
      }
    }
    for (const [networkId, members] of this.groups) {
      const m = members.get(nodeId);
      if (m && !m.leaving) {
        m.leaving = true;
        m.gone = true;
        m.since = now;
        changes.push({ type: 'peer-leave', networkId, nodeId });
      }
    }
    return changes;
  }

  /**
   * Gossip says a node we had given up on is alive again: its hidden rows return, and so
   * does its place in the groups `nodeGone` took it out of (it never left them itself, so it
   * would not announce its membership again).
   */
  nodeBack(nodeId: string): NetworkDbChange[] {
    const changes: NetworkDbChange[] = [];
    for (const [networkId, members] of this.groups) {
      const m = members.get(nodeId);
      if (m?.gone) {
        m.leaving = false;
        m.gone = undefined;
        changes.push({ type: 'peer-join', networkId, nodeId });
      }
    }
    for (const [networkId, tables] of this.tables) {
      for (const [table, rows] of tables) {
        for (const [key, row] of rows) {
          if (row.entry.owner !== nodeId || row.goneAt === undefined) continue;
          row.goneAt = undefined;
          changes.push({ type: 'put', networkId, table, key, entry: row.entry });
        }
      }
    }
    return changes;
  }

  /** This node's own membership and live rows for a network, to announce to a newcomer. */
  ownState(networkId: string): NetworkDbMessage[] {
    const me = this.groups.get(networkId)?.get(this.nodeId);
    if (!me || me.leaving) return [];
    const out: NetworkDbMessage[] = [{ kind: { $case: 'membership', value: { networkId, nodeId: this.nodeId, lamport: me.lamport, leaving: false } } }];
    for (const rows of this.tables.get(networkId)?.values() ?? []) {
      for (const row of rows.values()) {
        if (row.entry.owner === this.nodeId && !row.entry.deleted) out.push({ kind: { $case: 'entry', value: row.entry } });
      }
    }
    return out;
  }

  /**
   * This node's membership and own rows of a network, tombstones included (only those deleted within
   * `tombstones.withinMs` when given), as they were last written: re-sent
   * now and then so that a peer that missed a broadcast (gossip retransmits a message only a
   * few times) converges anyway. Harmless to a peer that has them: same time, same owner.
   */
  ownEntries(networkId: string, tombstones?: { now: number; withinMs: number }): NetworkDbMessage[] {
    if (!this.joined(networkId)) return [];
    // Our membership first: a peer that missed our join counts neither us nor our rows.
    const me = this.groups.get(networkId)?.get(this.nodeId);
    const out: NetworkDbMessage[] = me ? [{ kind: { $case: 'membership', value: { networkId, nodeId: this.nodeId, lamport: me.lamport, leaving: me.leaving } } }] : [];
    for (const rows of this.tables.get(networkId)?.values() ?? []) {
      for (const row of rows.values()) {
        if (row.entry.owner !== this.nodeId) continue;
        // An old tombstone has had its chances: re-sending it for its whole TTL costs gossip bytes for nothing.
        if (tombstones && row.deletedAt !== undefined && tombstones.now - row.deletedAt > tombstones.withinMs) continue;
        out.push({ kind: { $case: 'entry', value: row.entry } });
      }
    }
    return out;
  }

  /**
   * Live rows a node owns in a network, hidden ones too: sent to that node when it joins, so
   * that after a restart it learns what it wrote in its previous life and can delete it.
   */
  rowsOwnedBy(networkId: string, nodeId: string): NetworkDbMessage[] {
    const out: NetworkDbMessage[] = [];
    for (const rows of this.tables.get(networkId)?.values() ?? []) {
      for (const row of rows.values()) if (row.entry.owner === nodeId && !row.entry.deleted) out.push({ kind: { $case: 'entry', value: row.entry } });
    }
    return out;
  }

  /** Networks this node has joined. */
  joinedNetworks(): string[] {
    return [...this.tables.keys()].sort();
  }

  groupStats(): NetworkDbGroupStats[] {
    return this.joinedNetworks().map((networkId) => ({
      networkId,
      peers: this.peers(networkId).length,
      endpoints: this.endpoints(networkId).length,
      vteps: this.vteps(networkId).length,
      tombstones: this.tombstones(networkId),
    }));
  }

  /** Forgets tombstones, rows of gone nodes and departed group members older than the TTL. */
  reap(now: number): number {
    let reaped = 0;
    for (const tables of this.tables.values()) {
      for (const rows of tables.values()) {
        for (const [key, row] of rows) {
          const since = row.deletedAt ?? row.goneAt;
          if (since !== undefined && now - since >= this.ttlMs) {
            rows.delete(key);
            reaped++;
          }
        }
      }
    }
    for (const members of this.groups.values()) {
      for (const [nodeId, m] of members) {
        if (m.leaving && now - m.since >= this.ttlMs) {
          members.delete(nodeId);
          reaped++;
        }
      }
    }
    return reaped;
  }

  // ------------------------------------------------------------ queries

  endpoints(networkId: string): NetworkDbEndpoint[] {
    return this.live(networkId, ENDPOINT_TABLE).flatMap((e) => (e.value?.$case === 'endpoint' ? [e.value.value] : []));
  }

  vteps(networkId: string): NetworkDbVtep[] {
    return this.live(networkId, VTEP_TABLE).flatMap((e) => (e.value?.$case === 'vtep' ? [e.value.value] : []));
  }

  /** Nodes currently in the network's group. */
  peers(networkId: string): string[] {
    return [...(this.groups.get(networkId) ?? [])].filter(([, m]) => !m.leaving).map(([id]) => id).sort();
  }

  joined(networkId: string): boolean {
    return this.tables.has(networkId);
  }

  tombstones(networkId: string): number {
    let n = 0;
    for (const rows of this.tables.get(networkId)?.values() ?? []) for (const row of rows.values()) if (row.entry.deleted) n++;
    return n;
  }

  // ------------------------------------------------------------ internals

  private write(networkId: string, table: string, key: string, value: NetworkDbEntry['value'], now: number): NetworkDbMessage {
    const tables = this.tables.get(networkId);
    if (!tables) throw new Error(`network DB: node ${this.nodeId} has not joined network ${networkId}; join it before writing ${table}/${key}`);
    const entry: NetworkDbEntry = { networkId, table, key, lamport: this.clock.tick(), owner: this.nodeId, deleted: false, value };
    this.merge(tables, entry, now);
    return { kind: { $case: 'entry', value: entry } };
  }

  private remove(networkId: string, table: string, key: string, now: number): NetworkDbMessage {
    const tables = this.tables.get(networkId);
    if (!tables) throw new Error(`network DB: node ${this.nodeId} has not joined network ${networkId}; cannot delete ${table}/${key}`);
    const old = tables.get(table)?.get(key);
    const entry: NetworkDbEntry = { networkId, table, key, lamport: this.clock.tick(), owner: this.nodeId, deleted: true, value: old?.entry.value };
    this.merge(tables, entry, now);
    return { kind: { $case: 'entry', value: entry } };
  }

  private merge(tables: Map<string, Map<string, Row>>, entry: NetworkDbEntry, now: number): NetworkDbChange[] {
    let rows = tables.get(entry.table);
    if (!rows) {
      rows = new Map();
      tables.set(entry.table, rows);
    }
    const old = rows.get(entry.key);
    if (old && !newer(entry, old.entry)) return [];
    rows.set(entry.key, entry.deleted ? { entry, deletedAt: now } : { entry });
    const where = { networkId: entry.networkId, table: entry.table, key: entry.key, entry };
    if (entry.deleted) return old && !old.entry.deleted ? [{ type: 'delete', ...where }] : [];
    return [{ type: 'put', ...where }];
  }

  private setMembership(m: NetworkDbMembership, now: number): { message: NetworkDbMessage; changes: NetworkDbChange[] } {
    const message: NetworkDbMessage = { kind: { $case: 'membership', value: m } };
    let members = this.groups.get(m.networkId);
    if (!members) {
      members = new Map();
      this.groups.set(m.networkId, members);
    }
    const old = members.get(m.nodeId);
    if (old && old.lamport >= m.lamport) return { message, changes: [] };
    members.set(m.nodeId, { lamport: m.lamport, leaving: m.leaving, since: now });
    const wasIn = old !== undefined && !old.leaving;
    if (wasIn === !m.leaving) return { message, changes: [] };
    return { message, changes: [{ type: m.leaving ? 'peer-leave' : 'peer-join', networkId: m.networkId, nodeId: m.nodeId }] };
  }

  private live(networkId: string, table: string): NetworkDbEntry[] {
    const rows = this.tables.get(networkId)?.get(table);
    if (!rows) return [];
    return [...rows.values()].filter((row) => !row.entry.deleted && row.goneAt === undefined).map((row) => row.entry).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

function requireId(what: string, value: string | undefined): void {
  if (!value || !value.trim()) throw new Error(`network DB: ${what} must not be empty`);
}
