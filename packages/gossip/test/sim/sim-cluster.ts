import { GossipPacket } from '@flotilla/api';
import { SeededRng, Swim, type MembershipEvent, type Rng, type SwimConfig } from '../../src/index.js';
import { EventHeap } from './event-heap.js';

export interface NetworkConditions {
  /** Probability that a UDP packet is lost (TCP push/pull is never lost, only cut). */
  loss: number;
  minDelayMs: number;
  maxDelayMs: number;
}

interface SimNode {
  index: number;
  swim: Swim;
  crashed: boolean;
  group: number;
  /** Extra loss of UDP packets arriving at this node (a degraded, overloaded member). */
  inboundLoss: number;
  /** Time of the tick event that is still valid for this node (others are stale). */
  wakeAt: number;
}

type SimEvent =
  | { at: number; order: number; kind: 'tick'; node: number }
  | { at: number; order: number; kind: 'deliver'; node: number; from: string; bytes: Uint8Array; reliable: boolean };

export interface ObservedEvent {
  at: number;
  observer: string;
  event: MembershipEvent;
}

/**
 * Many SWIM members in one process over a simulated network: every packet goes through
 * the real protobuf codec, UDP packets can be lost, every packet is delayed, and members
 * can be crashed or split into groups that cannot reach each other. Time is simulated,
 * so a run is a pure function of its seed.
 */
export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly net: NetworkConditions;
  now = 0;
  bytesSent = 0;
  packetsSent = 0;
  packetsLost = 0;
  private readonly rng: Rng;
  private readonly heap = new EventHeap<SimEvent>();
  private order = 0;
  private readonly listeners: ((e: ObservedEvent) => void)[] = [];

  constructor(readonly seed: number, net: Partial<NetworkConditions> = {}, private readonly config: Partial<SwimConfig> = {}) {
    this.rng = new SeededRng(seed);
    this.net = { loss: 0, minDelayMs: 1, maxDelayMs: 5, ...net };
  }

  static id(index: number): string {
    return `node-${index}`;
  }

  static addr(index: number): string {
    return `10.0.${index >> 8}.${index & 255}:7946`;
  }

  onEvent(listener: (e: ObservedEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Adds a member; it joins through `seedIndex` (none for the first). */
  add(seedIndex?: number): number {
    const index = this.nodes.length;
    const swim = new Swim({ id: SimCluster.id(index), addr: SimCluster.addr(index), rng: new SeededRng(this.seed * 7919 + index + 1), now: this.now, config: this.config });
    const node: SimNode = { index, swim, crashed: false, group: 0, inboundLoss: 0, wakeAt: Infinity };
    this.nodes.push(node);
    if (seedIndex !== undefined) swim.join([SimCluster.addr(seedIndex)], this.now);
    this.flush(node);
    return index;
  }

  /**
   * Builds a cluster of n members, each joining through a random earlier one, and runs
   * until every member sees all n alive (or the deadline passes; returns whether it did).
   */
  bootstrap(n: number, deadlineMs = 120_000): boolean {
    this.add();
    for (let i = 1; i < n; i++) {
      this.add(Math.floor(this.rng.next() * i));
      this.run(this.now + 10);
    }
    return this.runUntil(() => this.allSeeLive(n), deadlineMs);
  }

  /** Starts n members that all know each other from a roster (no join storm). */
  startWithRoster(n: number): void {
    const first = this.nodes.length;
    for (let i = 0; i < n; i++) this.add();
    const roster = this.nodes.map((node) => ({ id: node.swim.id, addr: node.swim.addr }));
    for (let i = first; i < this.nodes.length; i++) {
      this.nodes[i]!.swim.seedMembers(roster, this.now);
      this.flush(this.nodes[i]!);
    }
  }

  allSeeLive(n: number): boolean {
    for (const node of this.nodes) {
      if (node.crashed) continue;
      if (node.swim.liveMembers !== n) return false;
    }
    return true;
  }

  /** Makes a member lose this share of the UDP packets sent to it (it stays up). */
  degrade(index: number, inboundLoss: number): void {
    this.nodes[index]!.inboundLoss = inboundLoss;
  }

  crash(index: number): void {
    this.nodes[index]!.crashed = true;
  }

  /** Splits members into groups (by index) that cannot exchange any packet. */
  partition(groups: number[][]): void {
    groups.forEach((members, g) => { for (const i of members) this.nodes[i]!.group = g; });
  }

  heal(): void {
    for (const node of this.nodes) node.group = 0;
  }

  broadcast(index: number, payload: Uint8Array): number {
    const node = this.nodes[index]!;
    const seq = node.swim.broadcast(payload, this.now);
    this.flush(node);
    return seq;
  }

  /** Runs every event up to and including time `until`. */
  run(until: number): void {
    for (;;) {
      const next = this.heap.peek();
      if (!next || next.at > until) break;
      this.heap.pop();
      this.now = Math.max(this.now, next.at);
      this.handle(next);
    }
    this.now = Math.max(this.now, until);
  }

  /** Runs until `done()` holds (checked every stepMs) or `forMs` pass; returns whether it held. */
  runUntil(done: () => boolean, forMs: number, stepMs = 100): boolean {
    const end = this.now + forMs;
    while (this.now < end) {
      if (done()) return true;
      this.run(Math.min(end, this.now + stepMs));
    }
    return done();
  }

  private handle(e: SimEvent): void {
    const node = this.nodes[e.node]!;
    if (node.crashed) return;
    if (e.kind === 'tick') {
      if (e.at !== node.wakeAt) return;
      node.wakeAt = Infinity;
      node.swim.tick(this.now);
    } else {
      node.swim.receive(e.from, GossipPacket.decode(e.bytes), this.now);
    }
    this.flush(node);
  }

  flush(node: SimNode): void {
    const { packets, events } = node.swim.takeOutput();
    for (const event of events) for (const l of this.listeners) l({ at: this.now, observer: node.swim.id, event });
    for (const out of packets) {
      const bytes = GossipPacket.encode(out.packet).finish();
      this.bytesSent += bytes.length;
      this.packetsSent++;
      const to = this.indexOf(out.to);
      if (to === undefined) continue;
      const target = this.nodes[to]!;
      if (target.crashed || target.group !== node.group) continue;
      const loss = 1 - (1 - this.net.loss) * (1 - target.inboundLoss);
      if (!out.reliable && loss > 0 && this.rng.next() < loss) {
        this.packetsLost++;
        continue;
      }
      const delay = this.net.minDelayMs + this.rng.next() * (this.net.maxDelayMs - this.net.minDelayMs);
      this.heap.push({ at: this.now + delay, order: this.order++, kind: 'deliver', node: to, from: node.swim.addr, bytes, reliable: out.reliable });
    }
    if (node.crashed) return;
    const wake = Math.max(this.now, node.swim.nextWakeAt());
    if (wake < node.wakeAt) {
      node.wakeAt = wake;
      this.heap.push({ at: wake, order: this.order++, kind: 'tick', node: node.index });
    }
  }

  private indexOf(addr: string): number | undefined {
    const m = /^10\.0\.(\d+)\.(\d+):7946$/.exec(addr);
    if (!m) return undefined;
    const index = Number(m[1]) * 256 + Number(m[2]);
    return index < this.nodes.length ? index : undefined;
  }
}
