import { GossipSyncRequest, GossipSyncResponse, type GossipKey } from '@flotilla/api';
import { request, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import { GossipNode, Keyring, type GossipNodeStats, type MemberView, type SwimConfig } from '@flotilla/gossip';
import type { Logger } from 'pino';
import { GOSSIP_PORT, GOSSIP_SYNC_PERIOD_MS, swimConfigFor } from './gossip-config.js';

export interface NodeGossipOptions {
  readonly nodeId: string;
  /** The node's advertise address: the gossip member binds it (UDP and TCP). */
  readonly host: string;
  readonly port?: number;
  readonly nc: BusConnection['nc'];
  readonly subjects: ClusterSubjects;
  /** The agent's live dispatcher session, if any. */
  readonly sessionId: () => string | undefined;
  readonly log: Logger;
  /** Probe interval; the other timings scale with it (swimConfigFor). */
  readonly probeIntervalMs?: number | undefined;
  readonly config?: Partial<SwimConfig>;
}

const REQUEST_TIMEOUT_MS = 3_000;

/**
 * A node's gossip member (every node runs one), kept in step with the managers: its keyring
 * and the seeds to join through come from the dispatcher (GossipSync on the node's session),
 * and the members it sees die are reported back at once, so the dispatcher can mark them down
 * without waiting out the heartbeat grace. The member starts once the first keyring arrives.
 */
export class NodeGossip {
  private readonly log: Logger;
  private node: GossipNode | undefined;
  private keyring: Keyring | undefined;
  private ringId = '';
  private readonly dead = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private syncing: Promise<void> | undefined;
  private again = false;
  private periodMs = GOSSIP_SYNC_PERIOD_MS;
  private starting: Promise<void> | undefined;
  private startFailures = 0;
  private readonly memberListeners: ((member: GossipNode) => void)[] = [];

  constructor(private readonly opts: NodeGossipOptions) {
    this.log = opts.log.child({ component: 'node-gossip', nodeId: opts.nodeId });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.syncSoon(0);
  }

  /** The member, once it runs (for tests and `info`). */
  get member(): GossipNode | undefined {
    return this.node;
  }

  /** Calls `listener` with the member once it runs (at once if it already does). */
  onMember(listener: (member: GossipNode) => void): void {
    this.memberListeners.push(listener);
    if (this.node) listener(this.node);
  }

  get keyringId(): string {
    return this.ringId;
  }

  get stats(): GossipNodeStats | undefined {
    return this.node?.stats;
  }

  members(): MemberView[] {
    return this.node?.members() ?? [];
  }

  /** `graceful`: announce the leave (swarm leave, daemon shutdown); otherwise just stop. */
  async stop(graceful = true): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.syncing;
    await this.starting;
    const node = this.node;
    this.node = undefined;
    if (!node) return;
    if (graceful) await node.leave(1_000);
    else await node.stop();
  }

  private syncSoon(delayMs: number): void {
    if (!this.running) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.syncing = this.sync().finally(() => {
        this.syncing = undefined;
        const again = this.again;
        this.again = false;
        this.syncSoon(again ? 0 : this.periodMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async sync(): Promise<void> {
    const sessionId = this.opts.sessionId();
    if (!sessionId) return;
    let res: GossipSyncResponse;
    try {
      res = await request(
        this.opts.nc,
        this.opts.subjects.dispatcher.gossip(this.opts.nodeId),
        GossipSyncRequest,
        { sessionId, keyringId: this.ringId, deadNodeIds: [...this.dead].sort() },
        GossipSyncResponse,
        { timeoutMs: REQUEST_TIMEOUT_MS },
      );
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'gossip sync with the dispatcher failed; trying again');
      return;
    }
    if (res.syncPeriodMs > 0) this.periodMs = res.syncPeriodMs;
    if (res.keys.length === 0 || !this.running) return;
    if (res.keyringId !== this.ringId) {
      this.install(res.keys, res.keyringId);
      // Tell the leader at once, so a rotation can take its next step.
      this.again = true;
    }
    if (!this.node) await this.startMember();
    this.joinIfAlone(res.seedAddrs);
  }

  private install(keys: readonly GossipKey[], id: string): void {
    const [primary, ...others] = keys.map((k) => k.key);
    if (this.keyring) this.keyring.install(primary!, others);
    else this.keyring = new Keyring(primary!, others);
    this.ringId = id;
    this.log.info({ keyringId: id, keys: keys.length }, 'gossip keyring installed');
  }

  private async startMember(): Promise<void> {
    this.starting = (async () => {
      try {
        const node = await GossipNode.start({
          id: this.opts.nodeId,
          host: this.opts.host,
          port: this.opts.port ?? GOSSIP_PORT,
          keyring: this.keyring!,
          config: { ...swimConfigFor(this.opts.probeIntervalMs), ...this.opts.config },
          logger: this.opts.log,
        });
        if (!this.running) {
          await node.stop();
          return;
        }
        node.onEvent((event) => {
          if (event.type === 'user') return;
          const id = event.member.id;
          if (event.type === 'dead') {
            this.dead.add(id);
            this.syncSoon(0);
          } else if ((event.type === 'join' || event.type === 'alive' || event.type === 'left') && this.dead.delete(id)) {
            this.syncSoon(0);
          }
        });
        this.node = node;
        for (const listener of this.memberListeners) listener(node);
      } catch (err) {
        // Said once loudly; the retries at every sync are quiet until one works.
        const level = this.startFailures++ === 0 ? 'error' : 'debug';
        this.log[level]({ err: (err as Error).message, host: this.opts.host, port: this.opts.port ?? GOSSIP_PORT }, 'starting the gossip member failed; retrying at the next sync');
      }
    })();
    await this.starting;
    this.starting = undefined;
  }

  private joinIfAlone(seeds: readonly string[]): void {
    const node = this.node;
    if (!node) return;
    const others = seeds.filter((s) => s !== node.addr);
    if (others.length === 0) return;
    if (node.members().some((m) => m.id !== node.id && (m.state === 'alive' || m.state === 'suspect'))) return;
    node.join(others);
  }
}
