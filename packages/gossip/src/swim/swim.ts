import {
  GossipMemberState,
  GossipRumour,
  type GossipAlive,
  type GossipDead,
  type GossipMember,
  type GossipPacket,
  type GossipPushPull,
  type GossipSuspect,
  type GossipUserMessage,
} from '@flotilla/api';
import { BroadcastQueue } from './broadcast-queue.js';
import { makeSwimConfig, pushPullInterval, retransmitLimit, type SwimConfig } from './config.js';
import { randomInt, shuffleInPlace, type Rng } from './rng.js';
import { confirmationsWanted, Suspicion, suspicionBounds } from './suspicion.js';
import type { MemberState, MemberView, MembershipEvent, OutgoingPacket, SwimOutput, SwimStats } from './types.js';

interface Member {
  id: string;
  addr: string;
  incarnation: number;
  state: MemberState;
  meta: Uint8Array;
  since: number;
}

interface PendingProbe {
  seq: number;
  target: string;
  indirectAt: number;
  endsAt: number;
  indirectSent: boolean;
  acked: boolean;
  nacks: number;
  expectedNacks: number;
}

/** A ping we send because someone asked us to (ping-req): its ack goes back to them. */
interface Relay {
  requesterAddr: string;
  requesterSeq: number;
  deadline: number;
}

export interface SwimOptions {
  id: string;
  /** Where others reach us: "host:port" of our gossip socket. */
  addr: string;
  meta?: Uint8Array;
  config?: Partial<SwimConfig>;
  rng: Rng;
  now: number;
}

/** Bytes a packet spends on its own header (ids, addresses, body) before rumours. */
const HEADER_SLACK = 48;
/** User-message ids are remembered this long so that late copies are not delivered twice. */
const USER_SEEN_TTL_MS = 5 * 60_000;

/**
 * One member's view of a SWIM cluster, as a pure state machine: it owns no socket and no
 * timer. The owner feeds it `tick(now)` and `receive(from, packet, now)` and drains
 * `takeOutput()` for packets to send and membership events. Everything random comes
 * from the injected generator, so a simulated cluster is reproducible from a seed.
 *
 * What it does, per the SWIM paper with memberlist's and Lifeguard's refinements:
 * round-robin probing with an ack timeout, indirect probes through k members,
 * suspicion with a timeout that grows with log N and shrinks with independent
 * confirmations, incarnation numbers with refutation, rumours piggy-backed on every
 * packet with a retransmit limit, a dedicated gossip round, periodic push/pull of the
 * full state, and periodic reconnection attempts to dead members so partitions heal.
 */
export class Swim {
  readonly id: string;
  readonly addr: string;
  readonly config: SwimConfig;
  readonly stats: SwimStats = { probes: 0, indirectProbes: 0, failedProbes: 0, nacksReceived: 0, refutations: 0, pushPulls: 0 };

  private readonly rng: Rng;
  private readonly members = new Map<string, Member>();
  /** Ids of every member but us, for O(1) random picks. */
  private readonly others: string[] = [];
  private readonly otherIndex = new Map<string, number>();
  private liveCount = 1;
  private readonly deadOrLeft = new Set<string>();
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly queue = new BroadcastQueue();
  private readonly userSeen = new Map<string, number>();
  private userSeq = 0;
  /** Accusers already sent our current incarnation (see tellAccusers). */
  private readonly toldAccusers = new Set<string>();
  private leaving = false;
  /** Lifeguard's local health score: 0 is healthy; probing slows down ×(health+1). */
  private health = 0;

  private probeOrder: string[] = [];
  private probeCursor = 0;
  private probe: PendingProbe | undefined;
  private readonly relays = new Map<number, Relay>();
  private seq = 0;

  private nextProbeAt: number;
  private nextGossipAt: number;
  private nextPushPullAt: number;
  private nextReconnectAt: number;
  private nextReapAt: number;

  private outPackets: OutgoingPacket[] = [];
  private outEvents: MembershipEvent[] = [];

  constructor(options: SwimOptions) {
    if (!options.id) throw new Error('gossip member id must not be empty');
    if (!options.addr) throw new Error(`gossip member ${options.id}: address must not be empty`);
    this.id = options.id;
    this.addr = options.addr;
    this.config = makeSwimConfig(options.config);
    this.rng = options.rng;
    const now = options.now;
    this.members.set(this.id, { id: this.id, addr: this.addr, incarnation: 0, state: 'alive', meta: options.meta ?? new Uint8Array(), since: now });
    // Spread the first rounds so that members started together do not move in lockstep.
    this.nextProbeAt = now + this.rng.next() * this.config.probeIntervalMs;
    this.nextGossipAt = now + this.rng.next() * this.config.gossipIntervalMs;
    this.nextPushPullAt = now + (0.5 + this.rng.next()) * this.config.pushPullIntervalMs;
    this.nextReconnectAt = now + (0.5 + this.rng.next()) * (this.config.reconnectIntervalMs || Infinity);
    this.nextReapAt = now + this.config.probeIntervalMs * 10;
    // Receivers remember (origin, seq) for a while; a restarted member must not reuse the
    // numbers of its previous life, or its first messages would be taken for duplicates.
    this.userSeq = Math.floor(this.rng.next() * 2 ** 40);
  }

  // ---------------------------------------------------------------- inputs

  /** Starts a full state exchange with each seed; their replies bring the whole cluster. */
  join(seedAddrs: readonly string[], now: number): void {
    for (const addr of seedAddrs) {
      if (addr === this.addr) continue;
      this.sendPushPull(addr, false, true, now);
    }
  }

  /**
   * Installs members known from a trusted source (e.g. the node list a manager hands out)
   * as alive, without gossiping them: everyone who got the same roster already knows.
   * Unknown members are added; known ones are left alone. The simulation uses this to
   * start large clusters without an N² join storm.
   */
  seedMembers(roster: readonly { id: string; addr: string; incarnation?: number; meta?: Uint8Array }[], now: number): void {
    const bad = roster.find((entry) => !entry.id || !entry.addr);
    if (bad) throw new Error(`gossip member ${this.id}: roster entry ${JSON.stringify(bad.id)} needs an id and an address`);
    for (const entry of roster) {
      if (entry.id === this.id || this.members.has(entry.id)) continue;
      this.addMember({ node: entry.id, addr: entry.addr, incarnation: entry.incarnation ?? 0, meta: asBuffer(entry.meta ?? new Uint8Array()) }, now);
    }
  }

  /** Announces a graceful leave; keep ticking until `pendingRumours` is 0 before stopping. */
  leave(now: number): void {
    if (this.leaving) return;
    this.leaving = true;
    const self = this.self();
    self.state = 'left';
    self.since = now;
    this.enqueueDead({ node: this.id, incarnation: self.incarnation, from: this.id });
  }

  /** Spreads an application message to every member (at most once each). */
  broadcast(payload: Uint8Array, now: number, topic = ''): number {
    const seq = ++this.userSeq;
    const user: GossipUserMessage = { origin: this.id, seq, payload: asBuffer(payload), topic };
    this.userSeen.set(userKey(user), now);
    this.enqueue({ kind: { $case: 'user', value: user } });
    return seq;
  }

  /** Changes our meta (e.g. a new VTEP address) and tells everyone. */
  updateMeta(meta: Uint8Array, now: number): void {
    const self = this.self();
    self.meta = meta;
    self.incarnation++;
    this.toldAccusers.clear();
    self.since = now;
    this.enqueueAlive(self);
  }

  tick(now: number): void {
    this.runProbe(now);
    this.expireRelays(now);
    this.expireSuspicions(now);
    if (now >= this.nextGossipAt) {
      this.nextGossipAt = now + this.config.gossipIntervalMs;
      this.gossip(now);
    }
    if (now >= this.nextPushPullAt) {
      this.nextPushPullAt = now + pushPullInterval(this.config, this.liveCount);
      const peer = this.randomMembers(1, (m) => m.state === 'alive')[0];
      if (peer) this.sendPushPull(peer.addr, false, false, now);
    }
    if (now >= this.nextReconnectAt) {
      this.nextReconnectAt = now + this.config.reconnectIntervalMs;
      const dead = [...this.deadOrLeft].filter((id) => this.members.get(id)?.state === 'dead');
      const pick = dead.length > 0 ? this.members.get(dead[randomInt(this.rng, dead.length)]!) : undefined;
      if (pick) this.sendPushPull(pick.addr, false, false, now);
    }
    if (now >= this.nextReapAt) {
      this.nextReapAt = now + this.config.probeIntervalMs * 10;
      this.reap(now);
    }
  }

  receive(fromAddr: string, packet: GossipPacket, now: number): void {
    if (!packet.from || packet.from === this.id) return;
    const senderAddr = packet.fromAddr || fromAddr;
    const accused = !this.leaving && accusesMember(packet, this.id);
    for (const rumour of packet.rumours) this.applyRumour(rumour, now);
    const answered = this.handleBody(packet, senderAddr, accused, now);
    // The sender holds us suspect or dead: our refutation goes straight back to it (on the
    // ack when it pinged us), not only into the random epidemic, whose retransmit budget can
    // be spent before a late hearer of the accusation is reached: that is how healthy members
    // of 50+ were declared dead under loss with the fast profile.
    if (accused && !answered) this.send(senderAddr, undefined, now, [this.selfAlive()]);
    if (accused) this.tellAccusers(packet, now);
  }

  /**
   * The accusers named in the rumours hear our refutation from us, once per incarnation: the
   * member whose probe failed is the one most sure we are gone, and the random epidemic may
   * never bring it the news before its suspicion ends.
   */
  private tellAccusers(packet: GossipPacket, now: number): void {
    for (const rumour of packet.rumours) {
      const kind = rumour.kind;
      if ((kind?.$case !== 'suspect' && kind?.$case !== 'dead') || kind.value.node !== this.id) continue;
      const accuser = kind.value.from;
      if (accuser === this.id || accuser === packet.from || this.toldAccusers.has(accuser)) continue;
      const member = this.members.get(accuser);
      if (!member || member.state === 'left') continue;
      this.toldAccusers.add(accuser);
      this.send(member.addr, undefined, now, [this.selfAlive()]);
    }
  }

  /** Handles the packet's body; true when the answer already told the sender we are alive. */
  private handleBody(packet: GossipPacket, senderAddr: string, accused: boolean, now: number): boolean {
    const body = packet.body;
    if (!body) return false;
    switch (body.$case) {
      case 'ping':
        // A ping meant for a previous owner of this address is not ours to answer.
        if (body.value.target && body.value.target !== this.id) return false;
        this.send(senderAddr, { $case: 'ack', value: { seq: body.value.seq } }, now, accused ? [this.selfAlive()] : []);
        return true;
      case 'pingReq': {
        if (!body.value.target || !body.value.targetAddr) return false;
        const seq = this.nextSeq();
        this.relays.set(seq, { requesterAddr: senderAddr, requesterSeq: body.value.seq, deadline: now + this.config.probeTimeoutMs });
        const target = this.members.get(body.value.target);
        this.send(body.value.targetAddr, { $case: 'ping', value: { seq, target: body.value.target } }, now, target ? this.accusationFor(target) : []);
        return false;
      }
      case 'ack': {
        const seq = body.value.seq;
        if (this.probe && this.probe.seq === seq) this.probe.acked = true;
        const relay = this.relays.get(seq);
        if (relay) {
          this.relays.delete(seq);
          this.send(relay.requesterAddr, { $case: 'ack', value: { seq: relay.requesterSeq } }, now);
        }
        return false;
      }
      case 'nack':
        if (this.probe && this.probe.seq === body.value.seq) {
          this.stats.nacksReceived++;
          this.probe.nacks++;
        }
        return false;
      case 'pushPull':
        this.mergeState(packet.from, body.value, now);
        if (body.value.reply) return false;
        this.sendPushPull(senderAddr, true, false, now);
        return true;
    }
  }

  takeOutput(): SwimOutput {
    const out = { packets: this.outPackets, events: this.outEvents };
    this.outPackets = [];
    this.outEvents = [];
    return out;
  }

  /** The earliest time `tick` has something to do. */
  nextWakeAt(): number {
    let at = Math.min(this.nextProbeAt, this.nextPushPullAt, this.nextReapAt);
    if (this.probe) at = Math.min(at, this.probe.indirectSent ? this.probe.endsAt : this.probe.indirectAt);
    if (this.queue.size > 0) at = Math.min(at, this.nextGossipAt);
    if (this.deadOrLeft.size > 0) at = Math.min(at, this.nextReconnectAt);
    for (const relay of this.relays.values()) at = Math.min(at, relay.deadline);
    for (const suspicion of this.suspicions.values()) at = Math.min(at, suspicion.deadline());
    return at;
  }

  // ---------------------------------------------------------------- queries

  get incarnation(): number {
    return this.self().incarnation;
  }

  /** Rumours still waiting to be sent (a leaving member waits for 0). */
  get pendingRumours(): number {
    return this.queue.size;
  }

  /** Lifeguard's local health multiplier minus one (0 = healthy, our probing at full speed). */
  get localHealth(): number {
    return this.health;
  }

  /** Members that are alive or suspect, us included. */
  get liveMembers(): number {
    return this.liveCount;
  }

  member(id: string): MemberView | undefined {
    const m = this.members.get(id);
    return m ? { ...m } : undefined;
  }

  memberList(): MemberView[] {
    return [...this.members.values()].map((m) => ({ ...m }));
  }

  // ---------------------------------------------------------------- probing

  private runProbe(now: number): void {
    const probe = this.probe;
    if (probe && !probe.acked && !probe.indirectSent && now >= probe.indirectAt) {
      probe.indirectSent = true;
      const target = this.members.get(probe.target);
      if (target) {
        const helpers = this.randomMembers(this.config.indirectChecks, (m) => m.state === 'alive' && m.id !== probe.target);
        probe.expectedNacks = helpers.length;
        for (const helper of helpers) {
          this.stats.indirectProbes++;
          this.send(helper.addr, { $case: 'pingReq', value: { seq: probe.seq, target: target.id, targetAddr: target.addr } }, now);
        }
      }
    }
    if (probe && (probe.acked || now >= probe.endsAt)) {
      this.probe = undefined;
      if (probe.acked) {
        this.adjustHealth(-1);
        // It answered, so it is up, but its refutation has not reached us (the ack came through
        // a helper, or the direct one was lost): ask it again next period rather than let the
        // suspicion run out on a member we just heard from.
        if (this.members.get(probe.target)?.state === 'suspect') this.probeNext(probe.target);
      } else {
        this.stats.failedProbes++;
        // Lifeguard: helpers that did not even nack suggest our own packets are not getting
        // through, so we are the likely culprit; slow down before accusing anyone else.
        this.adjustHealth(probe.expectedNacks > 0 ? probe.expectedNacks - probe.nacks : 1);
        const target = this.members.get(probe.target);
        if (target && (target.state === 'alive' || target.state === 'suspect')) {
          this.applySuspect({ node: target.id, incarnation: target.incarnation, from: this.id }, now);
        }
      }
    }
    if (now >= this.nextProbeAt) {
      const scale = this.health + 1;
      while (this.nextProbeAt <= now) this.nextProbeAt += this.config.probeIntervalMs * scale;
      const target = this.nextProbeTarget();
      if (target) {
        const seq = this.nextSeq();
        this.stats.probes++;
        this.probe = {
          seq,
          target: target.id,
          indirectAt: now + this.config.probeTimeoutMs * scale,
          endsAt: now + this.config.probeIntervalMs * scale,
          indirectSent: false,
          acked: false,
          nacks: 0,
          expectedNacks: 0,
        };
        this.send(target.addr, { $case: 'ping', value: { seq, target: target.id } }, now, this.accusationFor(target));
      }
    }
  }

  private nextProbeTarget(): Member | undefined {
    for (let pass = 0; pass < 2; pass++) {
      while (this.probeCursor < this.probeOrder.length) {
        const m = this.members.get(this.probeOrder[this.probeCursor++]!);
        if (m && (m.state === 'alive' || m.state === 'suspect')) return m;
      }
      // A full pass is done: reshuffle, so every member is probed once per pass in random order.
      this.probeOrder = shuffleInPlace(this.rng, this.others.filter((id) => {
        const s = this.members.get(id)?.state;
        return s === 'alive' || s === 'suspect';
      }));
      this.probeCursor = 0;
    }
    return undefined;
  }

  private expireRelays(now: number): void {
    for (const [seq, relay] of this.relays) {
      if (relay.deadline > now) continue;
      this.relays.delete(seq);
      this.send(relay.requesterAddr, { $case: 'nack', value: { seq: relay.requesterSeq } }, now);
    }
  }

  private expireSuspicions(now: number): void {
    for (const [id, suspicion] of this.suspicions) {
      if (suspicion.deadline() > now) continue;
      const m = this.members.get(id);
      this.suspicions.delete(id);
      if (m && m.state === 'suspect') this.applyDead({ node: id, incarnation: m.incarnation, from: this.id }, now);
    }
  }

  // ---------------------------------------------------------------- dissemination

  private gossip(now: number): void {
    if (this.queue.size === 0) return;
    const cutoff = now - this.config.gossipToTheDeadMs;
    const targets = this.randomMembers(this.config.gossipNodes, (m) =>
      m.state === 'alive' || m.state === 'suspect' || (m.state === 'dead' && m.since >= cutoff));
    for (const target of targets) {
      const rumours = this.takeRumours(0);
      if (rumours.length === 0) return;
      this.outPackets.push({ to: target.addr, packet: { from: this.id, fromAddr: this.addr, body: undefined, rumours }, reliable: false });
    }
  }

  private takeRumours(bodyBytes: number, skipKeys?: ReadonlySet<string>): GossipRumour[] {
    if (this.queue.size === 0) return [];
    const header = HEADER_SLACK + 2 * (this.id.length + this.addr.length) + bodyBytes;
    return this.queue.take(this.config.maxPacketBytes - header, retransmitLimit(this.config, this.liveCount), skipKeys);
  }

  /** `extra` rumours are for this receiver in particular: they go first, outside the retransmit budget. */
  private send(to: string, body: GossipPacket['body'], _now: number, extra: GossipRumour[] = []): void {
    let extraBytes = 0;
    for (const rumour of extra) extraBytes += GossipRumour.encode(rumour).finish().length + 3;
    const rumours = [...extra, ...this.takeRumours(24 + extraBytes, extra.length > 0 ? new Set(extra.map(rumourKey)) : undefined)];
    this.outPackets.push({ to, packet: { from: this.id, fromAddr: this.addr, body, rumours }, reliable: false });
  }

  /**
   * A ping to a member we hold suspect tells it so: it answers with its refutation on the ack,
   * so every member that hears a suspicion and checks the suspect (it does so next) gets the
   * refutation from the source, whatever happened to the gossip of it.
   */
  private accusationFor(target: Member): GossipRumour[] {
    if (target.state !== 'suspect') return [];
    const accuser = this.suspicions.get(target.id)?.accuser ?? this.id;
    return [{ kind: { $case: 'suspect', value: { node: target.id, incarnation: target.incarnation, from: accuser } } }];
  }

  private selfAlive(): GossipRumour {
    const self = this.self();
    return { kind: { $case: 'alive', value: { node: self.id, addr: self.addr, incarnation: self.incarnation, meta: asBuffer(self.meta) } } };
  }

  private sendPushPull(to: string, reply: boolean, join: boolean, _now: number): void {
    this.stats.pushPulls++;
    const members: GossipMember[] = [];
    for (const m of this.members.values()) {
      members.push({ id: m.id, addr: m.addr, incarnation: m.incarnation, state: toWireState(m.state), meta: asBuffer(m.meta) });
    }
    this.outPackets.push({ to, packet: { from: this.id, fromAddr: this.addr, body: { $case: 'pushPull', value: { reply, join, members } }, rumours: [] }, reliable: true });
  }

  private mergeState(from: string, state: GossipPushPull, now: number): void {
    for (const m of state.members) {
      switch (m.state) {
        case GossipMemberState.GOSSIP_MEMBER_ALIVE:
          this.applyAlive({ node: m.id, addr: m.addr, incarnation: m.incarnation, meta: m.meta }, now);
          break;
        // Someone else's "dead" is only a suspicion here: the member gets a chance to refute.
        case GossipMemberState.GOSSIP_MEMBER_SUSPECT:
        case GossipMemberState.GOSSIP_MEMBER_DEAD:
          this.applySuspect({ node: m.id, incarnation: m.incarnation, from }, now);
          break;
        case GossipMemberState.GOSSIP_MEMBER_LEFT:
          this.applyDead({ node: m.id, incarnation: m.incarnation, from: m.id }, now);
          break;
        default:
          break;
      }
    }
  }

  private applyRumour(rumour: GossipRumour, now: number): void {
    const kind = rumour.kind;
    if (!kind) return;
    switch (kind.$case) {
      case 'alive': return this.applyAlive(kind.value, now);
      case 'suspect': return this.applySuspect(kind.value, now);
      case 'dead': return this.applyDead(kind.value, now);
      case 'user': return this.applyUser(kind.value, now);
    }
  }

  private applyUser(user: GossipUserMessage, now: number): void {
    const key = userKey(user);
    if (this.userSeen.has(key)) return;
    this.userSeen.set(key, now);
    this.outEvents.push({ type: 'user', origin: user.origin, seq: user.seq, topic: user.topic, payload: user.payload });
    this.enqueue({ kind: { $case: 'user', value: user } });
  }

  // ---------------------------------------------------------------- state changes

  private applyAlive(alive: GossipAlive, now: number): void {
    if (!alive.node || !alive.addr) return;
    if (alive.node === this.id) {
      // An older life of ours is being talked about with a higher incarnation: outbid it.
      const self = this.self();
      if (alive.incarnation > self.incarnation && !this.leaving) this.refute(alive.incarnation, now);
      return;
    }
    const m = this.members.get(alive.node);
    if (!m) {
      this.enqueueAlive(this.addMember(alive, now));
      return;
    }
    if (alive.incarnation <= m.incarnation) return;
    const before = m.state;
    const moved = m.addr !== alive.addr || !sameBytes(m.meta, alive.meta);
    m.incarnation = alive.incarnation;
    m.addr = alive.addr;
    m.meta = alive.meta;
    this.setState(m, 'alive', now);
    if (before === 'suspect') this.outEvents.push({ type: 'alive', member: { ...m } });
    else if (before === 'dead' || before === 'left') this.outEvents.push({ type: 'join', member: { ...m } });
    else if (moved) this.outEvents.push({ type: 'update', member: { ...m } });
    this.enqueueAlive(m);
  }

  private addMember(alive: GossipAlive, now: number): Member {
    const member: Member = { id: alive.node, addr: alive.addr, incarnation: alive.incarnation, state: 'alive', meta: alive.meta, since: now };
    this.members.set(member.id, member);
    this.otherIndex.set(member.id, this.others.length);
    this.others.push(member.id);
    this.liveCount++;
    // Put the newcomer at a random place in the rest of the current pass so it is probed soon.
    const order = this.probeOrder;
    order.push(member.id);
    const at = this.probeCursor + randomInt(this.rng, order.length - this.probeCursor);
    order[order.length - 1] = order[at]!;
    order[at] = member.id;
    this.outEvents.push({ type: 'join', member: { ...member } });
    return member;
  }

  private applySuspect(suspect: GossipSuspect, now: number): void {
    const m = this.members.get(suspect.node);
    if (!m || suspect.incarnation < m.incarnation) return;
    if (m.id === this.id) {
      if (!this.leaving) this.refute(suspect.incarnation, now);
      return;
    }
    if (m.state === 'suspect') {
      const suspicion = this.suspicions.get(m.id);
      if (suspicion && suspicion.confirm(suspect.from)) {
        this.enqueueSuspect({ node: m.id, incarnation: m.incarnation, from: suspect.from });
      }
      return;
    }
    if (m.state !== 'alive') return;
    m.incarnation = suspect.incarnation;
    this.setState(m, 'suspect', now);
    const { minMs, maxMs } = suspicionBounds(this.config, this.liveCount);
    this.suspicions.set(m.id, new Suspicion(suspect.from, now, minMs, maxMs, confirmationsWanted(this.config, this.liveCount)));
    this.outEvents.push({ type: 'suspect', member: { ...m } });
    this.enqueueSuspect({ node: m.id, incarnation: m.incarnation, from: suspect.from });
    if (suspect.from !== this.id) this.probeNext(m.id);
  }

  /**
   * Someone else suspects `id`: check it ourselves at our next probe instead of whenever the
   * round-robin comes to it, so Lifeguard's independent confirmation (or our ack, which brings
   * the suspect's refutation) arrives within about two periods rather than up to a whole pass.
   * It is put in front of the others, not swapped with the one there: a swap sent a suspect
   * already waiting to a random later place, past the end of its suspicion (a false death seen
   * at 75 members). Its own place later in the pass stays too: had every member moved it, all
   * of them would have probed it at the same moment and none again for a whole pass, and a
   * crash soon after went unnoticed for up to 9 s at 50 members.
   */
  private probeNext(id: string): void {
    if (this.probe?.target === id || this.probeOrder[this.probeCursor] === id) return;
    this.probeOrder.splice(this.probeCursor, 0, id);
  }

  private applyDead(dead: GossipDead, now: number): void {
    const m = this.members.get(dead.node);
    if (!m || dead.incarnation < m.incarnation) return;
    if (m.id === this.id) {
      if (!this.leaving) this.refute(dead.incarnation, now);
      return;
    }
    if (m.state === 'dead' || m.state === 'left') return;
    m.incarnation = dead.incarnation;
    const next: MemberState = dead.from === dead.node ? 'left' : 'dead';
    this.setState(m, next, now);
    this.outEvents.push({ type: next, member: { ...m } });
    this.enqueueDead(dead);
  }

  private refute(accusedIncarnation: number, now: number): void {
    // Being accused hints that we are the slow one (Lifeguard).
    this.adjustHealth(1);
    const self = this.self();
    self.incarnation = Math.max(self.incarnation, accusedIncarnation) + 1;
    this.toldAccusers.clear();
    self.since = now;
    this.stats.refutations++;
    this.enqueueAlive(self);
  }

  private adjustHealth(delta: number): void {
    this.health = Math.min(this.config.awarenessMaxMultiplier - 1, Math.max(0, this.health + delta));
  }

  private setState(m: Member, state: MemberState, now: number): void {
    const wasLive = m.state === 'alive' || m.state === 'suspect';
    const isLive = state === 'alive' || state === 'suspect';
    if (wasLive && !isLive) {
      this.liveCount--;
      this.deadOrLeft.add(m.id);
    } else if (!wasLive && isLive) {
      this.liveCount++;
      this.deadOrLeft.delete(m.id);
    }
    if (state !== 'suspect') this.suspicions.delete(m.id);
    if (m.state !== state) m.since = now;
    m.state = state;
  }

  private reap(now: number): void {
    for (const id of [...this.deadOrLeft]) {
      const m = this.members.get(id);
      if (!m || now - m.since < this.config.deadReapMs) continue;
      this.deadOrLeft.delete(id);
      this.members.delete(id);
      const index = this.otherIndex.get(id)!;
      const last = this.others.pop()!;
      if (last !== id) {
        this.others[index] = last;
        this.otherIndex.set(last, index);
      }
      this.otherIndex.delete(id);
    }
    for (const [key, seenAt] of this.userSeen) {
      if (now - seenAt > USER_SEEN_TTL_MS) this.userSeen.delete(key);
    }
  }

  private enqueueAlive(m: Member): void {
    // Suspicions of an older incarnation must stop spreading once the member has refuted them:
    // they are queued under their own keys (one per accuser) and would otherwise outlive the
    // refutation and make late hearers suspect a member everyone else knows is alive.
    this.queue.removePrefix(suspicionKeyPrefix(m.id));
    this.enqueue({ kind: { $case: 'alive', value: { node: m.id, addr: m.addr, incarnation: m.incarnation, meta: asBuffer(m.meta) } } });
  }

  private enqueueSuspect(s: GossipSuspect): void {
    this.enqueue({ kind: { $case: 'suspect', value: s } });
  }

  private enqueueDead(d: GossipDead): void {
    this.queue.removePrefix(suspicionKeyPrefix(d.node));
    this.enqueue({ kind: { $case: 'dead', value: d } });
  }

  private enqueue(rumour: GossipRumour): void {
    this.queue.enqueue(rumourKey(rumour), rumour);
  }

  // ---------------------------------------------------------------- helpers

  private self(): Member {
    return this.members.get(this.id)!;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.seq;
  }

  /** Up to k distinct random members (never us) that satisfy `want`. */
  private randomMembers(k: number, want: (m: Member) => boolean): Member[] {
    const picked: Member[] = [];
    if (k <= 0 || this.others.length === 0) return picked;
    const chosen = new Set<string>();
    const tries = Math.min(this.others.length, k * 4);
    for (let i = 0; i < tries && picked.length < k; i++) {
      const id = this.others[randomInt(this.rng, this.others.length)]!;
      if (chosen.has(id)) continue;
      chosen.add(id);
      const m = this.members.get(id)!;
      if (want(m)) picked.push(m);
    }
    if (picked.length < k && this.others.length <= k * 8) {
      // Small clusters: the random tries may miss the few eligible members, so scan.
      for (const id of this.others) {
        if (picked.length >= k) break;
        if (chosen.has(id)) continue;
        const m = this.members.get(id)!;
        if (want(m)) picked.push(m);
      }
    }
    return picked;
  }
}

/** Whether the packet says `id` is suspect or dead (a member's own leave is not an accusation). */
function accusesMember(packet: GossipPacket, id: string): boolean {
  for (const rumour of packet.rumours) {
    const kind = rumour.kind;
    if (kind?.$case === 'suspect' && kind.value.node === id) return true;
    if (kind?.$case === 'dead' && kind.value.node === id && kind.value.from !== id) return true;
  }
  const body = packet.body;
  if (body?.$case !== 'pushPull') return false;
  return body.value.members.some((m) => m.id === id &&
    (m.state === GossipMemberState.GOSSIP_MEMBER_SUSPECT || m.state === GossipMemberState.GOSSIP_MEMBER_DEAD));
}

function userKey(user: GossipUserMessage): string {
  return `${user.origin}:${user.seq}`;
}

/**
 * The rumour queue's key: a newer rumour about the same member replaces the older one, except
 * that suspicions from different accusers each travel (they are Lifeguard's confirmations).
 */
function rumourKey(rumour: GossipRumour): string {
  const kind = rumour.kind;
  switch (kind?.$case) {
    case 'alive':
    case 'dead':
      return `m:${kind.value.node}`;
    case 'suspect':
      return `${suspicionKeyPrefix(kind.value.node)}${kind.value.from}`;
    case 'user':
      return `u:${userKey(kind.value)}`;
    default:
      return '';
  }
}

function suspicionKeyPrefix(node: string): string {
  return `m:${node}:s:`;
}

function toWireState(state: MemberState): GossipMemberState {
  switch (state) {
    case 'alive': return GossipMemberState.GOSSIP_MEMBER_ALIVE;
    case 'suspect': return GossipMemberState.GOSSIP_MEMBER_SUSPECT;
    case 'dead': return GossipMemberState.GOSSIP_MEMBER_DEAD;
    case 'left': return GossipMemberState.GOSSIP_MEMBER_LEFT;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** ts-proto types bytes fields as Buffer; this views a Uint8Array as one without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
