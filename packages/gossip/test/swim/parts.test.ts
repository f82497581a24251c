import { describe, expect, it } from 'vitest';
import { GossipPacket, type GossipRumour } from '@flotilla/api';
import {
  BroadcastQueue, LAN_CONFIG, SeededRng, Suspicion, Swim, confirmationsWanted, makeSwimConfig, pushPullInterval,
  retransmitLimit, suspicionBounds,
} from '../../src/index.js';

const user = (seq: number, size = 10): GossipRumour => ({ kind: { $case: 'user', value: { origin: 'a', seq, payload: Buffer.alloc(size), topic: '' } } });

describe('broadcast queue', () => {
  it('sends each rumour up to the retransmit limit, least-sent first', () => {
    const q = new BroadcastQueue();
    q.enqueue('x', user(1));
    expect(q.take(1000, 3)).toHaveLength(1);
    q.enqueue('y', user(2));
    const next = q.take(30, 3); // room for one: the fresher rumour wins
    expect(next.map((r) => r.kind?.$case === 'user' && r.kind.value.seq)).toEqual([2]);
    expect(q.take(1000, 3)).toHaveLength(2);
    expect(q.size).toBe(2);
    expect(q.take(1000, 3)).toHaveLength(2); // both reach 3 sends here
    expect(q.size).toBe(0);
    expect(q.take(1000, 3)).toEqual([]);
  });

  it('a newer rumour about the same subject replaces the older one', () => {
    const q = new BroadcastQueue();
    q.enqueue('m:n1', user(1));
    q.enqueue('m:n1', user(2));
    expect(q.size).toBe(1);
    expect(q.take(1000, 1).map((r) => r.kind?.$case === 'user' && r.kind.value.seq)).toEqual([2]);
  });

  it('drops every rumour under a key prefix, and only those', () => {
    const q = new BroadcastQueue();
    q.enqueue('m:n1:s:a', user(1));
    q.enqueue('m:n1:s:b', user(2));
    q.enqueue('m:n10:s:a', user(3));
    q.removePrefix('m:n1:s:');
    expect(q.take(1000, 1).map((r) => r.kind?.$case === 'user' && r.kind.value.seq)).toEqual([3]);
  });

  it('never exceeds the byte budget', () => {
    const q = new BroadcastQueue();
    for (let i = 0; i < 50; i++) q.enqueue(`k${i}`, user(i, 100));
    const taken = q.take(1000, 4);
    const bytes = taken.reduce((sum, r) => sum + GossipPacket.encode({ from: '', fromAddr: '', body: undefined, rumours: [r] }).finish().length, 0);
    expect(bytes).toBeLessThanOrEqual(1000);
    expect(taken.length).toBeGreaterThan(5);
  });
});

describe('timing formulas', () => {
  it('suspicion bounds grow with log10 N and confirmations shrink the timeout', () => {
    const small = suspicionBounds(LAN_CONFIG, 10);
    const big = suspicionBounds(LAN_CONFIG, 1000);
    expect(small).toEqual({ minMs: 4000, maxMs: 24000 });
    expect(big).toEqual({ minMs: 12000, maxMs: 72000 });
    const s = new Suspicion('b', 0, 4000, 24000, confirmationsWanted(LAN_CONFIG, 10));
    expect(s.deadline()).toBe(24000);
    expect(s.confirm('b')).toBe(false); // the accuser does not confirm itself
    expect(s.confirm('c')).toBe(true);
    const one = s.deadline();
    expect(one).toBeLessThan(24000);
    expect(s.confirm('c')).toBe(false);
    expect(s.confirm('d')).toBe(true);
    expect(s.deadline()).toBe(4000);
    expect(s.confirm('e')).toBe(false); // enough already
  });

  it('retransmits and push/pull scale with cluster size', () => {
    expect(retransmitLimit(LAN_CONFIG, 1)).toBe(4);
    expect(retransmitLimit(LAN_CONFIG, 1000)).toBe(16);
    expect(pushPullInterval(LAN_CONFIG, 10)).toBe(30000);
    expect(pushPullInterval(LAN_CONFIG, 1000)).toBe(180000);
  });

  it('refuses a configuration that cannot work, naming the problem', () => {
    expect(() => makeSwimConfig({ probeTimeoutMs: 2000 })).toThrow(/probeTimeoutMs \(2000\) must be shorter/);
    expect(() => makeSwimConfig({ gossipIntervalMs: 0 })).toThrow(/gossipIntervalMs must be a positive number/);
  });
});

describe('one member, packets by hand', () => {
  const make = (id: string) => new Swim({ id, addr: `${id}:7946`, rng: new SeededRng(1), now: 0 });

  it('refutes a suspicion about itself with a higher incarnation', () => {
    const a = make('a');
    a.seedMembers([{ id: 'b', addr: 'b:7946' }], 0);
    a.takeOutput();
    a.receive('b:7946', { from: 'b', fromAddr: 'b:7946', body: undefined, rumours: [{ kind: { $case: 'suspect', value: { node: 'a', incarnation: 0, from: 'b' } } }] }, 10);
    expect(a.incarnation).toBe(1);
    a.tick(1000);
    const rumours = a.takeOutput().packets.flatMap((p) => p.packet.rumours);
    expect(rumours).toContainEqual({ kind: { $case: 'alive', value: expect.objectContaining({ node: 'a', incarnation: 1 }) } });
  });

  it('ignores a suspicion older than what it knows, and accepts a newer alive', () => {
    const a = make('a');
    a.seedMembers([{ id: 'b', addr: 'b:7946', incarnation: 5 }], 0);
    const suspect = (inc: number) => ({ from: 'c', fromAddr: 'c:7946', body: undefined, rumours: [{ kind: { $case: 'suspect' as const, value: { node: 'b', incarnation: inc, from: 'c' } } }] });
    a.receive('c:7946', suspect(4), 1);
    expect(a.member('b')?.state).toBe('alive');
    a.receive('c:7946', suspect(5), 2);
    expect(a.member('b')?.state).toBe('suspect');
    a.receive('b:7946', { from: 'b', fromAddr: 'b:7946', body: undefined, rumours: [{ kind: { $case: 'alive', value: { node: 'b', addr: 'b:7946', incarnation: 6, meta: Buffer.alloc(0) } } }] }, 3);
    expect(a.member('b')).toMatchObject({ state: 'alive', incarnation: 6 });
    expect(a.takeOutput().events.map((e) => e.type)).toEqual(['join', 'suspect', 'alive']);
  });

  it('answers a ping with an ack, and relays a ping-req with a nack on timeout', () => {
    const a = make('a');
    a.receive('b:7946', { from: 'b', fromAddr: 'b:7946', body: { $case: 'ping', value: { seq: 9, target: 'a' } }, rumours: [] }, 0);
    expect(a.takeOutput().packets).toEqual([expect.objectContaining({ to: 'b:7946', packet: expect.objectContaining({ body: { $case: 'ack', value: { seq: 9 } } }) })]);
    a.receive('b:7946', { from: 'b', fromAddr: 'b:7946', body: { $case: 'pingReq', value: { seq: 4, target: 'c', targetAddr: 'c:7946' } }, rumours: [] }, 0);
    const ping = a.takeOutput().packets[0]!;
    expect(ping.to).toBe('c:7946');
    a.tick(LAN_CONFIG.probeTimeoutMs + 1);
    expect(a.takeOutput().packets.filter((p) => p.to === 'b:7946').map((p) => p.packet.body)).toEqual([{ $case: 'nack', value: { seq: 4 } }]);
  });

  it('a restarted member\'s broadcasts are not taken for duplicates of its previous life', () => {
    const receiver = make('r');
    const delivered: string[] = [];
    for (const seed of [1, 2]) {
      const sender = new Swim({ id: 's', addr: 's:7946', rng: new SeededRng(seed * 1000), now: 0 });
      sender.seedMembers([{ id: 'r', addr: 'r:7946' }], 0);
      sender.broadcast(Buffer.from(`life ${seed}`), 0);
      sender.tick(1000);
      for (const out of sender.takeOutput().packets) receiver.receive('s:7946', out.packet, 1);
      for (const e of receiver.takeOutput().events) if (e.type === 'user') delivered.push(Buffer.from(e.payload).toString());
    }
    expect(delivered).toEqual(['life 1', 'life 2']);
  });

  it('told that another member suspects someone, it probes that one next (a quick independent check)', () => {
    const others = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const nextPingAfterSuspecting = (suspect: string) => {
      const a = make('a');
      a.seedMembers(others.map((id) => ({ id, addr: `${id}:7946` })), 0);
      a.tick(LAN_CONFIG.probeIntervalMs);
      const first = a.takeOutput().packets.find((p) => p.packet.body?.$case === 'ping')!;
      const firstTarget = first.packet.body?.$case === 'ping' ? first.packet.body.value.target : '';
      a.receive(first.to, { from: firstTarget, fromAddr: first.to, body: { $case: 'ack', value: { seq: first.packet.body?.$case === 'ping' ? first.packet.body.value.seq : 0 } }, rumours: [] }, LAN_CONFIG.probeIntervalMs + 1);
      a.receive('m99:7946', { from: 'zz', fromAddr: 'zz:7946', body: undefined, rumours: [{ kind: { $case: 'suspect', value: { node: suspect, incarnation: 0, from: 'zz' } } }] }, LAN_CONFIG.probeIntervalMs + 2);
      a.takeOutput();
      a.tick(2 * LAN_CONFIG.probeIntervalMs);
      const ping = a.takeOutput().packets.find((p) => p.packet.body?.$case === 'ping');
      return { firstTarget, next: ping?.packet.body?.$case === 'ping' ? ping.packet.body.value.target : undefined };
    };
    let checked = 0;
    for (const suspect of others) {
      const { firstTarget, next } = nextPingAfterSuspecting(suspect);
      if (firstTarget === suspect) continue; // probed just now: the ack was the check
      expect(next).toBe(suspect);
      checked++;
    }
    expect(checked).toBe(others.length - 1);
  });

  const suspectOf = (node: string, incarnation: number, from: string): GossipRumour => ({ kind: { $case: 'suspect', value: { node, incarnation, from } } });
  const aliveRumours = (packets: { packet: GossipPacket }[], node: string) => packets.flatMap((p) => p.packet.rumours)
    .filter((r) => r.kind?.$case === 'alive' && r.kind.value.node === node).map((r) => r.kind?.$case === 'alive' && r.kind.value.incarnation);

  it('a ping that says we are suspect is answered with our refutation on the ack, even a stale one', () => {
    const a = make('a');
    a.seedMembers([{ id: 'b', addr: 'b:7946' }, { id: 'c', addr: 'c:7946' }], 0);
    a.takeOutput();
    a.receive('b:7946', { from: 'b', fromAddr: 'b:7946', body: { $case: 'ping', value: { seq: 1, target: 'a' } }, rumours: [suspectOf('a', 0, 'c')] }, 1);
    const first = a.takeOutput().packets.filter((p) => p.to === 'b:7946');
    expect(first.map((p) => p.packet.body?.$case)).toEqual(['ack']);
    expect(aliveRumours(first, 'a')).toContain(1);
    // Later, someone still holding the old suspicion pings: it gets incarnation 1 straight back.
    for (let i = 0; i < 20; i++) a.tick(1000 * (i + 1)); // the queued refutation is used up
    a.takeOutput();
    a.receive('c:7946', { from: 'c', fromAddr: 'c:7946', body: { $case: 'ping', value: { seq: 2, target: 'a' } }, rumours: [suspectOf('a', 0, 'b')] }, 30_000);
    expect(a.incarnation).toBe(1); // a stale accusation is not refuted again…
    const second = a.takeOutput().packets.filter((p) => p.to === 'c:7946');
    expect(aliveRumours(second, 'a')).toEqual([1]); // …but answered with the current incarnation
  });

  it('gossip that accuses us sends our refutation back to its sender and once to the accuser it names', () => {
    const a = make('a');
    a.seedMembers(['b', 'c', 'd'].map((id) => ({ id, addr: `${id}:7946` })), 0);
    a.takeOutput();
    const gossip = (from: string, accuser: string, at: number) =>
      a.receive(`${from}:7946`, { from, fromAddr: `${from}:7946`, body: undefined, rumours: [suspectOf('a', 0, accuser)] }, at);
    gossip('b', 'c', 1);
    const out = a.takeOutput().packets;
    expect(aliveRumours(out.filter((p) => p.to === 'b:7946'), 'a')).toEqual([1]);
    expect(aliveRumours(out.filter((p) => p.to === 'c:7946'), 'a')).toEqual([1]);
    expect(out.filter((p) => p.to === 'd:7946')).toEqual([]);
    gossip('d', 'c', 2); // the accuser has been told this incarnation already
    const again = a.takeOutput().packets;
    expect(again.map((p) => p.to)).toEqual(['d:7946']);
  });

  it('pings a member it holds suspect with the suspicion, and once it has refuted, stops spreading the old suspicion', () => {
    const a = make('a');
    a.seedMembers([{ id: 'b', addr: 'b:7946' }], 0);
    a.receive('c:7946', { from: 'c', fromAddr: 'c:7946', body: undefined, rumours: [suspectOf('b', 0, 'c'), suspectOf('b', 0, 'd')] }, 1);
    expect(a.member('b')?.state).toBe('suspect');
    a.takeOutput();
    a.tick(LAN_CONFIG.probeIntervalMs);
    const ping = a.takeOutput().packets.find((p) => p.packet.body?.$case === 'ping')!;
    expect(ping.to).toBe('b:7946');
    expect(ping.packet.rumours).toContainEqual(suspectOf('b', 0, 'c'));
    const seq = ping.packet.body?.$case === 'ping' ? ping.packet.body.value.seq : 0;
    a.receive('b:7946', { from: 'b', fromAddr: 'b:7946', body: { $case: 'ack', value: { seq } }, rumours: [{ kind: { $case: 'alive', value: { node: 'b', addr: 'b:7946', incarnation: 1, meta: Buffer.alloc(0) } } }] }, LAN_CONFIG.probeIntervalMs + 5);
    expect(a.member('b')).toMatchObject({ state: 'alive', incarnation: 1 });
    a.tick(2 * LAN_CONFIG.probeIntervalMs);
    const rumours = a.takeOutput().packets.flatMap((p) => p.packet.rumours);
    expect(rumours.filter((r) => r.kind?.$case === 'suspect')).toEqual([]);
    expect(rumours).toContainEqual(expect.objectContaining({ kind: expect.objectContaining({ $case: 'alive' }) }));
  });

  it('two members suspected one after the other are both probed in the next two periods', () => {
    const others = Array.from({ length: 30 }, (_, i) => `m${i}`);
    for (const [first, second] of [['m3', 'm20'], ['m25', 'm1'], ['m7', 'm8']] as const) {
      const a = make('a');
      a.seedMembers(others.map((id) => ({ id, addr: `${id}:7946` })), 0);
      a.takeOutput();
      a.receive('z:7946', { from: 'z', fromAddr: 'z:7946', body: undefined, rumours: [suspectOf(first, 0, 'z')] }, 1);
      a.receive('z:7946', { from: 'z', fromAddr: 'z:7946', body: undefined, rumours: [suspectOf(second, 0, 'z')] }, 2);
      a.takeOutput();
      const targets: string[] = [];
      for (const at of [LAN_CONFIG.probeIntervalMs, 2 * LAN_CONFIG.probeIntervalMs]) {
        a.tick(at);
        const ping = a.takeOutput().packets.find((p) => p.packet.body?.$case === 'ping');
        if (ping?.packet.body?.$case === 'ping') targets.push(ping.packet.body.value.target);
      }
      expect(new Set(targets)).toEqual(new Set([first, second]));
    }
  });

  it('a suspect that answers without its refutation reaching us is probed again next period', () => {
    const others = Array.from({ length: 8 }, (_, i) => `m${i}`);
    const a = make('a');
    a.seedMembers(others.map((id) => ({ id, addr: `${id}:7946` })), 0);
    a.receive('z:7946', { from: 'z', fromAddr: 'z:7946', body: undefined, rumours: [suspectOf('m3', 0, 'z')] }, 1);
    a.takeOutput();
    const pingAt = (at: number) => {
      a.tick(at);
      const ping = a.takeOutput().packets.find((p) => p.packet.body?.$case === 'ping')!;
      return ping.packet.body?.$case === 'ping' ? ping.packet.body.value : { seq: 0, target: '' };
    };
    const first = pingAt(LAN_CONFIG.probeIntervalMs);
    expect(first.target).toBe('m3');
    // An ack with no refutation on it (it came through a helper, say): still suspect here.
    a.receive('m3:7946', { from: 'm3', fromAddr: 'm3:7946', body: { $case: 'ack', value: { seq: first.seq } }, rumours: [] }, LAN_CONFIG.probeIntervalMs + 5);
    expect(pingAt(2 * LAN_CONFIG.probeIntervalMs).target).toBe('m3');
  });

  it('refuses a roster entry without an address and changes nothing', () => {
    const a = make('a');
    expect(() => a.seedMembers([{ id: 'b', addr: 'b:1' }, { id: 'c', addr: '' }], 0)).toThrow(/needs an id and an address/);
    expect(a.liveMembers).toBe(1);
  });
});
