// Keeps every node with a session told its NodeNetworkState: whole states, published on
// node.<id>.networks when they change (changes batched over a short window, only the nodes a
// change may concern assembled again), numbered per session, and answered on request.
import { NodeNetworkState, type StoreEvent } from '@flotilla/api';
import { encodeMessage, type BusConnection, type ClusterSubjects, type Logger } from '@flotilla/bus';
import type { AssignmentWatch } from '../backend.js';
import { NetworkChanges } from './network-change.js';
import { NetworkIndex, type NetworkInputs, type NodeNetworkBody } from './network-index.js';

/** Where node network states come from: the store's networks, services, tasks and nodes. */
export interface NetworkStateSource {
  /** One consistent version of the objects (a store view). */
  read(): NetworkInputs;
  /**
   * Calls `onEvent` for every later change to a task, service, network or node, in order, and
   * `onLost` when some were lost (a lagging watch): then every node is assembled again.
   */
  watch(onEvent: (event: StoreEvent) => void, onLost: () => void): AssignmentWatch;
}

export interface NetworkStatePublisherOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  source: NetworkStateSource;
  log: Logger;
  /** How long changes are gathered before the affected nodes are assembled again. */
  batchMs?: number;
}

interface NodeLink {
  sessionId: string;
  sequence: number;
  /** The last state sent, without session and sequence, encoded: what a new one is compared to. */
  body: Uint8Array | undefined;
  networkIds: string[];
}

export const DEFAULT_NETWORK_BATCH_MS = 25;

export class NetworkStatePublisher {
  private readonly links = new Map<string, NodeLink>();
  private changes = new NetworkChanges();
  private timer: NodeJS.Timeout | undefined;
  private watch: AssignmentWatch | undefined;
  /** Publications so far (for tests and the benchmark). */
  published = 0;

  constructor(private readonly opts: NetworkStatePublisherOptions) {}

  start(): void {
    if (this.watch) return;
    this.watch = this.opts.source.watch(
      (event) => {
        this.changes.add(event);
        this.schedule();
      },
      () => {
        this.changes.all = true;
        this.schedule();
      },
    );
  }

  stop(): void {
    this.watch?.stop();
    this.watch = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.links.clear();
  }

  /** A session opened: its first state (sequence 1) goes out with the next batch. */
  sessionOpened(nodeId: string, sessionId: string): void {
    this.links.set(nodeId, { sessionId, sequence: 0, body: undefined, networkIds: [] });
    this.changes.nodes.add(nodeId);
    this.schedule();
  }

  sessionClosed(nodeId: string, sessionId?: string): void {
    if (sessionId === undefined || this.links.get(nodeId)?.sessionId === sessionId) this.links.delete(nodeId);
  }

  /** The last sequence published to the node in this session (0: none yet). */
  sequenceOf(nodeId: string, sessionId: string): number {
    const link = this.links.get(nodeId);
    return link && link.sessionId === sessionId ? link.sequence : 0;
  }

  /** The node's current state (for a request): assembled now, published too if it changed. */
  current(nodeId: string, sessionId: string): NodeNetworkState | undefined {
    const link = this.links.get(nodeId);
    if (!link || link.sessionId !== sessionId) return undefined;
    const index = new NetworkIndex(this.opts.source.read());
    this.refresh(nodeId, link, index);
    return this.message(link, index.stateOf(nodeId));
  }

  /** Assembles the affected nodes again now (the batch timer calls it). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const changes = this.changes;
    this.changes = new NetworkChanges();
    if (changes.empty || this.links.size === 0) return;
    const index = new NetworkIndex(this.opts.source.read());
    const affected = changes.affected(index, this.links.keys(), (id) => this.links.get(id)?.networkIds ?? []);
    let sent = 0;
    for (const nodeId of affected) if (this.refresh(nodeId, this.links.get(nodeId)!, index)) sent++;
    if (sent > 0) this.opts.log.info({ affected: affected.length, sent }, 'node network states published');
  }

  /** Publishes the node's state if it differs from the last one sent; true when it did. */
  private refresh(nodeId: string, link: NodeLink, index: NetworkIndex): boolean {
    const body = index.stateOf(nodeId);
    const bytes = encodeMessage(NodeNetworkState, { sessionId: '', sequence: 0, ...body });
    if (link.body && sameBytes(link.body, bytes)) return false;
    link.body = bytes;
    link.sequence++;
    link.networkIds = body.networks.map((n) => n.network?.id ?? '');
    // Protobuf messages concatenate as a merge: the header fields followed by the body already
    // encoded for the comparison make the whole message without encoding the body twice.
    const header = encodeMessage(NodeNetworkState, { sessionId: link.sessionId, sequence: link.sequence, networks: [], services: [] });
    const msg = new Uint8Array(header.length + bytes.length);
    msg.set(header, 0);
    msg.set(bytes, header.length);
    this.opts.nc.publish(this.opts.subjects.node.networks(nodeId), msg);
    this.published++;
    this.opts.log.debug({ nodeId, sessionId: link.sessionId, sequence: link.sequence, networks: link.networkIds, services: body.services.length }, 'node network state published');
    return true;
  }

  private message(link: NodeLink, body: NodeNetworkBody): NodeNetworkState {
    return { sessionId: link.sessionId, sequence: link.sequence, ...body };
  }

  private schedule(): void {
    if (this.timer || !this.watch) return;
    this.timer = setTimeout(() => this.flush(), this.opts.batchMs ?? DEFAULT_NETWORK_BATCH_MS);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
