import { GossipSyncRequest, GossipSyncResponse, NodeRole, NodeState, type Cluster, type GossipKey } from '@flotilla/api';
import { BusErrorCode, BusRequestError, lastSubjectToken, serve, type BusConnection, type ClusterSubjects, type Served } from '@flotilla/bus';
import { newGossipKey } from '@flotilla/gossip';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { writeStore } from '../manager/store-writer.js';
import { DeathReports } from './death-reports.js';
import { GOSSIP_SYNC_PERIOD_MS, gossipSeeds } from './gossip-config.js';
import { planKeyRotation } from './key-rotation.js';
import { keyringId } from './keyring-id.js';

/** What the gossip service needs of the dispatcher running beside it. */
export interface DispatcherSessions {
  sessionOf(nodeId: string): string | undefined;
  /** When the node's current session opened (ms), undefined without one. */
  sessionOpenedAt(nodeId: string): number | undefined;
  expireNode(nodeId: string): Promise<void>;
}

export interface GossipServiceOptions {
  readonly nc: BusConnection['nc'];
  readonly subjects: ClusterSubjects;
  readonly member: RaftMember;
  readonly clusterId: string;
  readonly dispatcher: DispatcherSessions;
  readonly log: Logger;
  readonly syncPeriodMs?: number;
  /** A rotation step waits at most this long for nodes that never sync (gone without being marked down). */
  readonly ackWaitMs?: number;
}

const DEFAULT_ACK_WAIT_MS = 60_000;

/**
 * Runs on the Raft leader beside the dispatcher: hands every node with a live session the
 * gossip keyring and the managers' gossip addresses, turns the nodes' reports of dead members
 * into "node down" once enough live nodes agree (see DeathReports), and rotates the keyring
 * through Raft (see planKeyRotation), moving on only once every ready node has the ring.
 */
export class GossipService {
  private readonly log: Logger;
  private readonly deaths = new DeathReports();
  /** The keyring id each node last said its gossip uses. */
  private readonly rings = new Map<string, string>();
  private served: Served | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rotating = false;
  private stopped = false;
  private ringSince = { id: '', atMs: 0 };

  constructor(private readonly opts: GossipServiceOptions) {
    this.log = opts.log.child({ component: 'gossip-service' });
  }

  start(): void {
    this.served = serve(this.opts.nc, this.opts.subjects.dispatcher.gossipAny, GossipSyncRequest, GossipSyncResponse, (req, ctx) => this.sync(lastSubjectToken(ctx.subject), req), {
      logger: this.log,
    });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.served?.stop();
  }

  private cluster(): Cluster | undefined {
    return this.opts.member.store.view().clusters.get(this.opts.clusterId);
  }

  private async sync(nodeId: string, req: GossipSyncRequest): Promise<GossipSyncResponse> {
    if (this.opts.dispatcher.sessionOf(nodeId) !== req.sessionId || !req.sessionId) {
      throw new BusRequestError(BusErrorCode.NOT_FOUND, `gossip sync of node ${nodeId}: session ${JSON.stringify(req.sessionId)} is not its live session`);
    }
    this.rings.set(nodeId, req.keyringId);
    this.deaths.report(nodeId, req.deadNodeIds, Date.now());
    await this.expireConfirmed();
    if (!this.rotating) this.schedule(0);
    const keys = this.cluster()?.gossipKeys ?? [];
    return { keys, keyringId: keyringId(keys), seedAddrs: this.seeds(), syncPeriodMs: this.opts.syncPeriodMs ?? GOSSIP_SYNC_PERIOD_MS };
  }

  private readyNodes(): string[] {
    return [...this.opts.member.store.view().nodes.all()].filter((n) => n.status?.state === NodeState.NODE_STATE_READY).map((n) => n.id);
  }

  private async expireConfirmed(): Promise<void> {
    const live = new Set(this.readyNodes().filter((id) => this.opts.dispatcher.sessionOf(id) !== undefined));
    for (const nodeId of this.deaths.confirmed(live, (id) => this.opts.dispatcher.sessionOpenedAt(id))) {
      const reporters = [...live].filter((r) => r !== nodeId);
      this.log.warn({ nodeId, liveReporters: reporters.length }, 'gossip: node confirmed dead by the other nodes; marking it down');
      await this.opts.dispatcher.expireNode(nodeId);
      this.deaths.forget(nodeId);
      this.rings.delete(nodeId);
    }
  }

  private seeds(): string[] {
    const managers = [...this.opts.member.store.view().nodes.all()].filter((n) => n.role === NodeRole.NODE_ROLE_MANAGER && n.status?.state !== NodeState.NODE_STATE_DOWN);
    return gossipSeeds(managers.map((n) => n.status?.addr ?? ''));
  }

  /** Every ready node syncs with the current ring (or has been silent longer than the ack wait). */
  private everyNodeHasRing(keys: readonly GossipKey[], nowMs: number): boolean {
    const id = keyringId(keys);
    if (this.ringSince.id !== id) this.ringSince = { id, atMs: nowMs };
    const lagging = this.readyNodes().filter((n) => this.rings.get(n) !== id);
    if (lagging.length === 0) return true;
    if (nowMs - this.ringSince.atMs > (this.opts.ackWaitMs ?? DEFAULT_ACK_WAIT_MS)) {
      this.log.warn({ lagging }, 'gossip: moving the key rotation on without nodes that have not synced');
      return true;
    }
    return false;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.rotate(), Math.min(Math.max(0, delayMs), 2 ** 31 - 1));
    this.timer.unref();
  }

  private async rotate(): Promise<void> {
    if (this.rotating || this.stopped) return;
    this.rotating = true;
    let next = this.opts.syncPeriodMs ?? GOSSIP_SYNC_PERIOD_MS;
    try {
      const cluster = this.cluster();
      if (!cluster) return;
      const nowMs = Date.now();
      const keys = cluster.gossipKeys;
      const step = planKeyRotation({
        keys,
        nowMs,
        intervalMs: cluster.spec?.gossip?.keyRotationIntervalMs ?? 0,
        everyNodeHasCurrentRing: keys.length > 1 && this.everyNodeHasRing(keys, nowMs),
        newKey: newGossipKey,
      });
      if (step.kind === 'wait') {
        if (step.atMs !== undefined) next = step.atMs - nowMs;
        return;
      }
      await writeStore(this.opts.member, (view, tx) => {
        const current = view.clusters.get(this.opts.clusterId);
        if (!current || keyringId(current.gossipKeys) !== keyringId(keys)) return false;
        tx.update('cluster', { ...current, gossipKeys: step.keys });
      });
      this.log.info({ keyringId: keyringId(step.keys), keys: step.keys.length }, `gossip: ${step.why}`);
      next = 0;
    } catch (err) {
      this.log.error({ err }, 'gossip: changing the keyring failed; retrying');
    } finally {
      this.rotating = false;
      this.schedule(next);
    }
  }
}
