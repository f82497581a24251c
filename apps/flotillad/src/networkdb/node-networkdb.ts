// Edge: the node's network DB on its gossip member. Local task changes become row writes
// (local-rows.ts decides them); every change of the DB goes to the agent's networking as live
// facts, which the overlay and the load balancer merge with the dispatcher's state.
import type { GossipInfo, NodeNetworkState } from '@flotilla/api';
import type { NodeNetworking, TaskRecord } from '@flotilla/agent';
import { NetworkDbGossip, type GossipNode } from '@flotilla/gossip';
import type { Logger } from 'pino';
import type { NodeGossip } from '../gossip/node-gossip.js';
import { desiredRows, diffRows, NO_ROWS, type LocalRows, type RowWrite } from './local-rows.js';
import { gossipInfoOf, liveFactsOf } from './networkdb-view.js';

/** How often a node broadcasts its own rows again (a peer that missed one converges by then). */
export const REANNOUNCE_INTERVAL_MS = 60_000;
/** Each row write is broadcast again after these delays: a tombstone must not wait a reannounce round. */
export const ECHO_DELAYS_MS = [1_000, 4_000] as const;

export interface NodeNetworkDbOptions {
  readonly nodeId: string;
  /** Where this node terminates VXLAN: its advertise address. */
  readonly vtepAddr: string;
  readonly networking: NodeNetworking;
  readonly gossip: NodeGossip;
  /** The node load balancer runs: the node is in the ingress network's group. */
  readonly lbRuns: boolean;
  readonly log: Logger;
}

type Records = readonly Readonly<TaskRecord>[];

export class NodeNetworkDb {
  private readonly log: Logger;
  private ndb: NetworkDbGossip | undefined;
  private owned: LocalRows = NO_ROWS;
  private records: Records = [];
  private state: NodeNetworkState | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private factsQueued = false;
  private stopped = false;

  constructor(private readonly opts: NodeNetworkDbOptions) {
    this.log = opts.log.child({ component: 'networkdb', nodeId: opts.nodeId });
  }

  start(): void {
    this.unsubscribe.push(
      this.opts.networking.onTasks((records) => {
        this.records = records;
        this.sync();
      }),
      this.opts.networking.onState((state) => {
        this.state = state;
        this.sync();
      }),
    );
    this.opts.gossip.onMember((member) => this.attach(member));
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.ndb?.stop();
  }

  /** `info`'s figures; undefined until the gossip member runs. */
  info(): GossipInfo | undefined {
    const member = this.opts.gossip.member;
    if (!member) return undefined;
    const names = new Map((this.state?.networks ?? []).map((n) => [n.network?.id ?? '', n.network?.spec?.annotations?.name ?? '']));
    return gossipInfoOf(member.members(), member.refused(), this.ndb?.db, (id) => names.get(id) || undefined);
  }

  private attach(member: GossipNode): void {
    if (this.stopped || this.ndb) return;
    this.ndb = new NetworkDbGossip(member, { reannounceIntervalMs: REANNOUNCE_INTERVAL_MS, echoDelaysMs: ECHO_DELAYS_MS, clockFloor: Date.now });
    this.ndb.onChange(() => this.factsChanged());
    this.log.info('network DB running on the gossip member');
    this.sync();
  }

  private sync(): void {
    const ndb = this.ndb;
    if (!ndb || this.stopped) return;
    const ingress = this.opts.lbRuns ? (this.state?.networks ?? []).filter((n) => n.network?.spec?.ingress).map((n) => n.network!.id) : [];
    const want = desiredRows(this.records, { nodeId: this.opts.nodeId, vtepAddr: this.opts.vtepAddr, lbNetworks: ingress });
    const writes = diffRows(this.owned, want);
    if (writes.length === 0) return;
    for (const w of writes) {
      try {
        write(ndb, w);
      } catch (err) {
        this.log.error({ err: (err as Error).message, write: w }, 'writing to the network DB failed');
      }
    }
    this.owned = want;
    this.log.debug({ writes: writes.map(describe) }, 'network DB rows written');
    this.factsChanged();
  }

  /** Coalesces a burst of changes (a bulk catch-up) into one merge for the agent. */
  private factsChanged(): void {
    if (this.factsQueued) return;
    this.factsQueued = true;
    queueMicrotask(() => {
      this.factsQueued = false;
      if (this.stopped || !this.ndb) return;
      this.opts.networking.setLiveFacts(liveFactsOf(this.ndb.db));
    });
  }
}

function write(ndb: NetworkDbGossip, w: RowWrite): void {
  switch (w.kind) {
    case 'join':
      return ndb.joinNetwork(w.networkId);
    case 'vtep':
      return ndb.putVtep(w.networkId, w.addr);
    case 'put':
      return ndb.putEndpoint(w.networkId, w.endpoint);
    case 'delete':
      return ndb.deleteEndpoint(w.networkId, w.taskId);
    case 'leave':
      return ndb.leaveNetwork(w.networkId);
  }
}

function describe(w: RowWrite): string {
  if (w.kind === 'put') return `put ${w.networkId}/${w.endpoint.taskId}`;
  if (w.kind === 'delete') return `delete ${w.networkId}/${w.taskId}`;
  return `${w.kind} ${w.networkId}`;
}

/**
 * The node's network DB when the agent plumbs overlays (a node with a namespace of its own);
 * a node advertising a loopback address has none, like its overlays and load balancer.
 */
export function startNodeNetworkDb(opts: Omit<NodeNetworkDbOptions, 'networking'> & { networking: NodeNetworking | undefined }): NodeNetworkDb | undefined {
  const networking = opts.networking;
  if (!networking) return undefined;
  const ndb = new NodeNetworkDb({ ...opts, networking });
  ndb.start();
  return ndb;
}

/** `info`'s gossip figures of a node, with its network DB's groups when it has one. */
export function gossipInfo(gossip: NodeGossip, ndb: NodeNetworkDb | undefined): GossipInfo | undefined {
  if (ndb) return ndb.info();
  const member = gossip.member;
  return member ? gossipInfoOf(member.members(), member.refused(), undefined, () => undefined) : undefined;
}
