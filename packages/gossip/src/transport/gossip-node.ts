import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import { RefusalLog, type RefusalCount } from '@flotilla/bus';
import type { Keyring } from '../crypto/keyring.js';
import type { SwimConfig } from '../swim/config.js';
import { SeededRng, type Rng } from '../swim/rng.js';
import { Swim } from '../swim/swim.js';
import type { MemberView, MembershipEvent } from '../swim/types.js';
import { formatAddr, parseAddr } from './address.js';
import { openPacket, sealPacket } from './sealed-codec.js';
import { GossipSockets, type SocketRefusal } from './sockets.js';
import type { StreamLimits } from './stream-admission.js';

export interface GossipNodeOptions {
  /** The node id (unique in the cluster). */
  id: string;
  /** Address to bind, e.g. "127.0.0.1" or "0.0.0.0"; others reach us at host:port. */
  host: string;
  /** 7946 in production; 0 picks a free port (tests). */
  port: number;
  keyring: Keyring;
  meta?: Uint8Array;
  config?: Partial<SwimConfig>;
  logger?: Logger;
  rng?: Rng;
  /** Caps on what strangers can make the node hold (defaults: DEFAULT_STREAM_LIMITS). */
  limits?: Partial<StreamLimits>;
  /** Length of a refusal summary interval (default 30 s). */
  refusalLogIntervalMs?: number;
}

/**
 * Why a datagram or push/pull frame was refused: the sockets' reasons (before anything is
 * opened), `bad-key` (no key in the ring opens it: a stale key, another cluster, noise) and
 * `malformed` (it opens but is not a GossipPacket).
 */
export type GossipRefusal = SocketRefusal | 'bad-key' | 'malformed';

export interface GossipNodeStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  pushPullFailures: number;
}

/**
 * A gossip member on real sockets: the thin edge around the pure `Swim` state machine.
 * It seals every outgoing packet with the keyring, opens every incoming one (dropping
 * and counting what no key opens), sends push/pull over TCP and the rest over UDP, and
 * keeps one timer armed for the state machine's next deadline.
 */
export class GossipNode {
  readonly swim: Swim;
  readonly stats: GossipNodeStats = { packetsSent: 0, packetsReceived: 0, bytesSent: 0, pushPullFailures: 0 };
  private readonly listeners: ((event: MembershipEvent) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private saidTooBig = false;
  /** Hosts of the alive and suspect members (their push/pulls count against the members' caps); rebuilt after a membership change. */
  private memberHosts: Set<string> | undefined;

  private constructor(
    private readonly sockets: GossipSockets,
    private readonly keyring: Keyring,
    private readonly log: Logger,
    private readonly refusals: RefusalLog,
    options: GossipNodeOptions,
  ) {
    this.swim = new Swim({
      id: options.id,
      addr: sockets.addr,
      meta: options.meta,
      config: options.config,
      rng: options.rng ?? new SeededRng(randomBytes(4).readUInt32LE(0)),
      now: GossipNode.now(),
    });
  }

  static async start(options: GossipNodeOptions): Promise<GossipNode> {
    const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'gossip', nodeId: options.id });
    const refusals = new RefusalLog({ log, what: 'gossip', noun: 'packets', nouns: REFUSAL_NOUNS, ...(options.refusalLogIntervalMs ? { intervalMs: options.refusalLogIntervalMs } : {}) });
    let node: GossipNode | undefined;
    const sockets = await GossipSockets.bind(
      options.host,
      options.port,
      (host, port, bytes, reliable) => node?.onInbound(host, port, bytes, reliable),
      (what, err) => log.warn({ err: err.message }, `gossip: error on ${what}`),
      {
        ...(options.limits ? { limits: options.limits } : {}),
        onRefused: (cause, from, detail) => refusals.refuse(cause, from, detail),
        isMember: (host) => node?.isMemberHost(host) ?? false,
      },
    );
    node = new GossipNode(sockets, options.keyring, log, refusals, options);
    log.info({ addr: sockets.addr }, 'gossip: listening');
    node.flush();
    return node;
  }

  private static now(): number {
    return performance.now();
  }

  get id(): string {
    return this.swim.id;
  }

  get addr(): string {
    return this.sockets.addr;
  }

  onEvent(listener: (event: MembershipEvent) => void): void {
    this.listeners.push(listener);
  }

  join(seeds: readonly string[]): void {
    this.swim.join(seeds, GossipNode.now());
    this.flush();
  }

  /** Spreads `payload` to every member; `topic` tells applications sharing gossip apart. */
  broadcast(payload: Uint8Array, topic = ''): number {
    const seq = this.swim.broadcast(payload, GossipNode.now(), topic);
    this.flush();
    return seq;
  }

  /** Refusals since start, by cause (GossipRefusal), for `info`. */
  refused(): RefusalCount[] {
    return this.refusals.counts();
  }

  /** Refusals of one cause since start. */
  refusedCount(cause: GossipRefusal): number {
    return this.refusals.count(cause);
  }

  /** Inbound push/pull streams open now and the unauthenticated bytes they hold. */
  get inbound(): { streams: number; bufferedBytes: number } {
    return this.sockets.inbound;
  }

  /** Whether `host` (an address without port) is an alive or suspect member's. */
  isMemberHost(host: string): boolean {
    if (!this.memberHosts) {
      this.memberHosts = new Set();
      for (const m of this.swim.memberList()) {
        if (m.state !== 'alive' && m.state !== 'suspect') continue;
        try {
          this.memberHosts.add(parseAddr(m.addr).host);
        } catch {
          // A member whose address does not parse has no stream to count.
        }
      }
    }
    return this.memberHosts.has(host);
  }

  members(): MemberView[] {
    return this.swim.memberList();
  }

  member(id: string): MemberView | undefined {
    return this.swim.member(id);
  }

  /** Announces the leave and waits (up to timeoutMs) for the news to be sent, then stops. */
  async leave(timeoutMs = 2000): Promise<void> {
    this.swim.leave(GossipNode.now());
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while (this.swim.pendingRumours > 0 && Date.now() < deadline && !this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, this.swim.config.gossipIntervalMs));
    }
    await this.stop();
  }

  /** Stops at once, without a goodbye: to the others it looks like a crash. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sockets.close();
    this.refusals.stop();
    this.log.info('gossip: stopped');
  }

  private onInbound(host: string, port: number, bytes: Buffer, reliable: boolean): void {
    if (this.stopped) return;
    const opened = openPacket(this.keyring, bytes);
    if (!opened.ok) {
      this.refusals.refuse(opened.reason === 'no-key' ? 'bad-key' : 'malformed', host, reliable ? 'push/pull frame' : 'datagram');
      return;
    }
    const from = formatAddr(host, port);
    this.stats.packetsReceived++;
    try {
      this.swim.receive(from, opened.packet, GossipNode.now());
    } catch (err) {
      // A packet that trips a bug must not stop gossip for everyone else.
      this.log.error({ from, err: (err as Error).message }, 'gossip: failed to process a packet');
    }
    this.flush();
  }

  private flush(): void {
    if (this.stopped) return;
    const { packets, events } = this.swim.takeOutput();
    for (const out of packets) {
      const sealed = sealPacket(this.keyring, out.packet);
      if (out.reliable && sealed.length > this.sockets.limits.maxFrameBytes) {
        // Peers would refuse it unread: the cluster has outgrown the cap (MAX_FRAME_BYTES).
        this.stats.pushPullFailures++;
        if (!this.saidTooBig) this.log.error({ to: out.to, bytes: sealed.length, maxFrameBytes: this.sockets.limits.maxFrameBytes, members: this.swim.memberList().length }, 'gossip: our push/pull is larger than peers accept; not sent');
        this.saidTooBig = true;
        continue;
      }
      this.stats.packetsSent++;
      this.stats.bytesSent += sealed.length;
      if (!out.reliable) {
        this.sockets.sendDatagram(out.to, sealed);
        continue;
      }
      this.sockets.sendStream(out.to, sealed).catch((err: Error) => {
        this.stats.pushPullFailures++;
        this.log.debug({ to: out.to, err: err.message }, 'gossip: push/pull could not be delivered');
      });
    }
    for (const event of events) {
      if (event.type !== 'user') {
        this.memberHosts = undefined;
        const m = event.member;
        this.log.info({ memberId: m.id, addr: m.addr, incarnation: m.incarnation }, `gossip: member ${event.type}`);
      }
      for (const listener of this.listeners) listener(event);
    }
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const wait = Math.max(0, this.swim.nextWakeAt() - GossipNode.now());
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.swim.tick(GossipNode.now());
      this.flush();
    }, Math.min(wait, 2 ** 31 - 1));
    this.timer.unref();
  }
}

const REFUSAL_NOUNS: Readonly<Record<GossipRefusal, string>> = {
  'bad-key': 'packets',
  malformed: 'packets',
  'datagram-oversize': 'datagrams',
  'frame-oversize': 'push/pull frames',
  'frame-undersize': 'push/pull frames',
  'frame-trailing': 'push/pull frames',
  'frame-truncated': 'push/pull frames',
  'frame-deadline': 'push/pull frames',
  'frame-busy': 'push/pull frames',
  'too-many-from-source': 'connections',
  'too-many-streams': 'connections',
};

