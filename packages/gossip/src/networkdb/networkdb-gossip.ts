import { performance } from 'node:perf_hooks';
import { NetworkDbMessage, type NetworkDbEndpoint } from '@flotilla/api';
import type { GossipNode } from '../transport/gossip-node.js';
import type { MembershipEvent } from '../swim/types.js';
import { ENDPOINT_TABLE, NetworkDb, type NetworkDbChange } from './network-db.js';

export const NETWORKDB_TOPIC = 'networkdb';

/**
 * Carries a NetworkDb over a GossipNode: local writes are broadcast as gossip user
 * messages (topic "networkdb"), incoming ones are merged, a member that gossip declares
 * dead or left has its rows hidden (and shown again if it returns), and when a node joins
 * a network we are in, we re-announce our own rows so it catches up, and tell it the rows we
 * hold as its own: an endpoint row of ours that we did not write in this life (we restarted
 * meanwhile) is deleted at once, since the owner alone knows it is stale.
 */
export class NetworkDbGossip {
  readonly db: NetworkDb;
  private readonly listeners: ((change: NetworkDbChange) => void)[] = [];
  private readonly reaper: NodeJS.Timeout;
  private readonly reannouncer: NodeJS.Timeout | undefined;
  private readonly reannounceMs: number;
  private readonly echoDelaysMs: readonly number[];
  private readonly echoes = new Set<NodeJS.Timeout>();
  /** Incoming messages that did not decode (a newer peer, or a bug): counted, then ignored. */
  undecodable = 0;

  /**
   * `reannounceIntervalMs`: how often our own rows (tombstones too) are broadcast again, so a
   * peer that missed one converges without waiting for the next change; 0 never.
   */
  /** Rows of ours this node wrote since it started (a row of ours not among them is from a previous life). */
  private readonly written = new Set<string>();

  /**
   * `clockFloor`: see NetworkDbOptions (flotillad passes Date.now, so restarts write after the old rows).
   * `echoDelaysMs`: each local write is broadcast again after each of these delays (none by default).
   */
  constructor(
    private readonly node: GossipNode,
    options: { tombstoneTtlMs?: number; reapIntervalMs?: number; reannounceIntervalMs?: number; clockFloor?: () => number; echoDelaysMs?: readonly number[] } = {},
  ) {
    this.echoDelaysMs = options.echoDelaysMs ?? [];
    this.db = new NetworkDb({ nodeId: node.id, tombstoneTtlMs: options.tombstoneTtlMs, ...(options.clockFloor ? { clockFloor: options.clockFloor } : {}) });
    node.onEvent((event) => this.onGossip(event));
    this.reaper = setInterval(() => this.db.reap(now()), options.reapIntervalMs ?? 60_000);
    this.reaper.unref();
    this.reannounceMs = options.reannounceIntervalMs ?? 0;
    if (this.reannounceMs > 0) {
      this.reannouncer = setInterval(() => this.reannounce(), this.reannounceMs);
      this.reannouncer.unref();
    }
  }

  /** Broadcasts our own rows of every joined network again (see `reannounceIntervalMs`). */
  reannounce(): void {
    // Tombstones are re-sent for two rounds after the delete, live rows for as long as they live.
    const tombstones = { now: now(), withinMs: 2 * this.reannounceMs };
    for (const networkId of this.db.joinedNetworks()) this.send(this.db.ownEntries(networkId, tombstones));
  }

  onChange(listener: (change: NetworkDbChange) => void): void {
    this.listeners.push(listener);
  }

  joinNetwork(networkId: string): void {
    this.write([this.db.joinNetwork(networkId, now())]);
  }

  leaveNetwork(networkId: string): void {
    this.write(this.db.leaveNetwork(networkId, now()));
  }

  putEndpoint(networkId: string, endpoint: NetworkDbEndpoint): void {
    this.written.add(`${networkId}/${endpoint.taskId}`);
    this.write([this.db.putEndpoint(networkId, endpoint, now())]);
  }

  deleteEndpoint(networkId: string, taskId: string): void {
    this.write([this.db.deleteEndpoint(networkId, taskId, now())]);
  }

  putVtep(networkId: string, addr: string): void {
    this.write([this.db.putVtep(networkId, addr, now())]);
  }

  stop(): void {
    clearInterval(this.reaper);
    clearInterval(this.reannouncer);
    for (const t of this.echoes) clearTimeout(t);
    this.echoes.clear();
  }

  /**
   * A local write: broadcast now and again after each of `echoDelaysMs`. Gossip hands a message
   * to a few random members a few times; in a small cluster a member can miss all of them, and a
   * missed tombstone would keep a stopped task in that member's load balancer until the next
   * reannounce. A repeat that arrives after a newer write to the same row loses to it.
   */
  private write(messages: NetworkDbMessage[]): void {
    this.send(messages);
    for (const delay of this.echoDelaysMs) {
      const t = setTimeout(() => {
        this.echoes.delete(t);
        this.send(messages);
      }, delay);
      t.unref();
      this.echoes.add(t);
    }
  }

  private send(messages: NetworkDbMessage[]): void {
    for (const m of messages) this.node.broadcast(NetworkDbMessage.encode(m).finish(), NETWORKDB_TOPIC);
  }

  private onGossip(event: MembershipEvent): void {
    if (event.type === 'dead' || event.type === 'left') return this.emit(this.db.nodeGone(event.member.id, now()));
    if (event.type === 'join' || event.type === 'alive') {
      this.emit(this.db.nodeBack(event.member.id));
      // Its group membership may have reached us while gossip still held it dead, when what we
      // sent it then went only to the members we held alive: tell it again now that it is one.
      for (const networkId of this.db.joinedNetworks()) if (this.db.peers(networkId).includes(event.member.id)) this.catchUp(networkId, event.member.id);
      return;
    }
    if (event.type !== 'user' || event.topic !== NETWORKDB_TOPIC) return;
    let message: NetworkDbMessage;
    try {
      message = NetworkDbMessage.decode(event.payload);
    } catch {
      this.undecodable++;
      return;
    }
    const changes = this.db.apply(message, now());
    for (const change of changes) {
      if (change.type === 'peer-join' && change.nodeId !== this.node.id && this.db.joined(change.networkId)) this.catchUp(change.networkId, change.nodeId);
      if (change.type === 'put' && change.entry.owner === this.node.id && change.table === ENDPOINT_TABLE && !this.written.has(`${change.networkId}/${change.key}`)) {
        this.write([this.db.deleteEndpoint(change.networkId, change.key, now())]);
      }
    }
    this.emit(changes);
  }

  /** What a node joining a network we are in needs from us: our rows, and the rows we hold as its own. */
  private catchUp(networkId: string, nodeId: string): void {
    this.send([...this.db.ownState(networkId), ...this.db.rowsOwnedBy(networkId, nodeId)]);
  }

  private emit(changes: NetworkDbChange[]): void {
    for (const change of changes) for (const listener of this.listeners) listener(change);
  }
}

function now(): number {
  return performance.now();
}
