import { describe, expect, it } from 'vitest';
import { NetworkDbMessage, type NetworkDbEndpoint } from '@flotilla/api';
import { NetworkDb, SeededRng, shuffleInPlace } from '../../src/index.js';

const ep = (taskId: string, ip: string, nodeId = ''): NetworkDbEndpoint => ({ taskId, serviceId: 'svc-1', serviceName: 'web', ip, nodeId });
// Messages travel as bytes in gossip user messages; go through the codec as they would.
const wire = (m: NetworkDbMessage) => NetworkDbMessage.decode(NetworkDbMessage.encode(m).finish());

describe('network DB', () => {
  it('replicas that receive the same writes in any order, with duplicates, end up identical', () => {
    const a = new NetworkDb({ nodeId: 'a' });
    const b = new NetworkDb({ nodeId: 'b' });
    const messages: NetworkDbMessage[] = [a.joinNetwork('net1', 0), b.joinNetwork('net1', 0)];
    messages.push(a.putVtep('net1', '10.0.0.1', 1), b.putVtep('net1', '10.0.0.2', 1));
    messages.push(a.putEndpoint('net1', ep('t1', '10.1.0.2'), 2), b.putEndpoint('net1', ep('t2', '10.1.0.3'), 2));
    messages.push(a.putEndpoint('net1', ep('t1', '10.1.0.9'), 3)); // moved
    messages.push(b.deleteEndpoint('net1', 't2', 4));
    messages.push(b.putEndpoint('net1', ep('t3', '10.1.0.4'), 5));
    const rng = new SeededRng(5);
    const views: string[] = [];
    for (let run = 0; run < 20; run++) {
      const c = new NetworkDb({ nodeId: `c${run}` });
      c.joinNetwork('net1', 0);
      const order = shuffleInPlace(rng, [...messages, ...messages.slice(0, 4)]).map(wire);
      for (const m of order) c.apply(m, 10);
      views.push(JSON.stringify({ e: c.endpoints('net1'), v: c.vteps('net1'), p: c.peers('net1').filter((p) => p === 'a' || p === 'b') }));
    }
    expect(new Set(views).size).toBe(1);
    const c = JSON.parse(views[0]!);
    expect(c.e.map((e: NetworkDbEndpoint) => `${e.taskId}=${e.ip}@${e.nodeId}`)).toEqual(['t1=10.1.0.9@a', 't3=10.1.0.4@b']);
    expect(c.v.map((v: { addr: string }) => v.addr)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(c.p).toEqual(['a', 'b']);
  });

  it('a tombstone keeps an older, late write from reviving the row, until it is reaped', () => {
    const owner = new NetworkDb({ nodeId: 'a', tombstoneTtlMs: 1000 });
    const peer = new NetworkDb({ nodeId: 'b', tombstoneTtlMs: 1000 });
    owner.joinNetwork('n', 0);
    peer.joinNetwork('n', 0);
    const put = owner.putEndpoint('n', ep('t1', '10.0.0.5'), 1);
    const del = owner.deleteEndpoint('n', 't1', 2);
    expect(peer.apply(del, 3)).toEqual([]); // nothing to delete yet, but the tombstone is kept
    expect(peer.apply(put, 4)).toEqual([]);
    expect(peer.endpoints('n')).toEqual([]);
    expect(peer.tombstones('n')).toBe(1);
    expect(peer.reap(3 + 999)).toBe(0);
    expect(peer.reap(3 + 1000)).toBe(1);
    expect(peer.tombstones('n')).toBe(0);
  });

  it('the Lamport clock jumps past what it hears, so a later local write wins', () => {
    const a = new NetworkDb({ nodeId: 'a' });
    const b = new NetworkDb({ nodeId: 'b' });
    a.joinNetwork('n', 0);
    b.joinNetwork('n', 0);
    for (let i = 0; i < 10; i++) b.apply(a.putVtep('n', `10.0.0.${i}`, i), i);
    expect(b.lamport).toBeGreaterThanOrEqual(a.lamport);
    // b takes over the same row key namespace (endpoints) after hearing a's writes.
    const fromA = a.putEndpoint('n', ep('t9', '10.9.0.1'), 20);
    b.apply(fromA, 20);
    const fromB = b.putEndpoint('n', ep('t9', '10.9.0.2'), 21);
    a.apply(fromB, 22);
    expect(a.endpoints('n')[0]?.ip).toBe('10.9.0.2');
    expect(b.endpoints('n')[0]?.ip).toBe('10.9.0.2');
  });

  it('rows of a network are kept only by its group; a joiner catches up by bulk sync', () => {
    const a = new NetworkDb({ nodeId: 'a' });
    const outsider = new NetworkDb({ nodeId: 'z' });
    const msgs = [a.joinNetwork('n', 0), a.putEndpoint('n', ep('t1', '10.0.0.2'), 1), a.putVtep('n', '192.0.2.1', 1)];
    for (const m of msgs) outsider.apply(m, 2);
    expect(outsider.endpoints('n')).toEqual([]);
    expect(outsider.peers('n')).toEqual(['a']); // group membership is known cluster-wide
    const join = outsider.joinNetwork('n', 3);
    expect(a.apply(join, 3)).toEqual([{ type: 'peer-join', networkId: 'n', nodeId: 'z' }]);
    for (const m of a.bulkSync('n')) outsider.apply(wire(m), 4);
    expect(outsider.endpoints('n').map((e) => e.ip)).toEqual(['10.0.0.2']);
    expect(outsider.vteps('n')).toEqual([{ nodeId: 'a', addr: '192.0.2.1' }]);
  });

  it('leaving a network deletes our rows everywhere; a dead node\'s rows are tombstoned locally', () => {
    const a = new NetworkDb({ nodeId: 'a' });
    const b = new NetworkDb({ nodeId: 'b' });
    const c = new NetworkDb({ nodeId: 'c' });
    const all = [a, b, c];
    const spread = (from: NetworkDb, ms: NetworkDbMessage[]) => { for (const db of all) if (db !== from) for (const m of ms) db.apply(wire(m), 1); };
    for (const db of all) spread(db, [db.joinNetwork('n', 0)]);
    for (const db of all) spread(db, [db.putVtep('n', `vtep-${db.nodeId}`, 0), db.putEndpoint('n', ep(`t-${db.nodeId}`, `10.0.0.${db.nodeId.charCodeAt(0)}`), 0)]);
    expect(c.endpoints('n')).toHaveLength(3);
    spread(a, a.leaveNetwork('n', 5));
    expect(a.joined('n')).toBe(false);
    expect(b.endpoints('n').map((e) => e.taskId)).toEqual(['t-b', 't-c']);
    expect(b.peers('n')).toEqual(['b', 'c']);
    const changes = b.nodeGone('c', 6);
    expect(changes.map((ch) => ch.type).sort()).toEqual(['delete', 'delete', 'peer-leave']);
    expect(b.endpoints('n').map((e) => e.taskId)).toEqual(['t-b']);
    expect(b.vteps('n').map((v) => v.nodeId)).toEqual(['b']);
    // A node wrongly declared dead gets its rows back when it is seen alive again…
    expect(b.nodeBack('c').map((ch) => ch.type)).toEqual(['peer-join', 'put', 'put']);
    expect(b.endpoints('n').map((e) => e.taskId)).toEqual(['t-b', 't-c']);
    // …and its place in the group, which it never left and so would not announce again.
    expect(b.peers('n')).toEqual(['b', 'c']);
    expect(b.groupStats()).toEqual([{ networkId: 'n', peers: 2, endpoints: 2, vteps: 2, tombstones: 2 }]);
    // …and a node that stays gone has them reaped after the TTL.
    b.nodeGone('c', 10);
    // c's two rows and group entry, and a's two tombstones and group entry from its leave.
    expect(b.reap(10 + 30 * 60_000)).toBe(6);
    expect(b.tombstones('n')).toBe(0);
    expect(b.nodeBack('c')).toEqual([]);
  });

  it("ownEntries re-sends a node's own rows, tombstones too, so a peer that missed a write converges", () => {
    const a = new NetworkDb({ nodeId: 'a' });
    const b = new NetworkDb({ nodeId: 'b' });
    b.apply(wire(a.joinNetwork('n', 0)), 0);
    b.joinNetwork('n', 0);
    b.apply(wire(a.putEndpoint('n', ep('t1', '10.0.0.1'), 1)), 1);
    a.putEndpoint('n', ep('t2', '10.0.0.2'), 2); // lost on the way to b
    a.deleteEndpoint('n', 't1', 3); // lost too
    expect(b.endpoints('n').map((e) => e.taskId)).toEqual(['t1']);
    const again = a.ownEntries('n');
    expect(again.map((m) => (m.kind?.$case === 'entry' ? `${m.kind.value.key}${m.kind.value.deleted ? '-' : '+'}` : m.kind?.$case)).sort()).toEqual(['membership', 't1-', 't2+']);
    for (const m of again) b.apply(wire(m), 4);
    expect(b.endpoints('n').map((e) => e.taskId)).toEqual(['t2']);
    // Received twice, nothing changes.
    expect(again.flatMap((m) => b.apply(wire(m), 5))).toEqual([]);
    expect(b.ownEntries('other')).toEqual([]);
    // Given a window, tombstones older than it are left out (the delete happened at time 3).
    expect(a.ownEntries('n', { now: 3 + 1000, withinMs: 1000 })).toHaveLength(3);
    expect(a.ownEntries('n', { now: 3 + 1001, withinMs: 1000 }).map((m) => (m.kind?.$case === 'entry' ? m.kind.value.key : m.kind?.$case))).toEqual(['membership', 't2']);
    // A peer that missed a's join learns it from the re-sent membership.
    const late = new NetworkDb({ nodeId: 'c' });
    late.joinNetwork('n', 0);
    for (const m of again) late.apply(wire(m), 5);
    expect(late.peers('n')).toEqual(['a', 'c']);
    expect(a.joinedNetworks()).toEqual(['n']);
  });

  it('with a wall-clock floor, a restarted node writes after its previous life; rowsOwnedBy gives a node its rows back', () => {
    let wall = 1_000;
    const old = new NetworkDb({ nodeId: 'b', clockFloor: () => wall });
    const peer = new NetworkDb({ nodeId: 'a' });
    peer.joinNetwork('n', 0);
    for (const m of [old.joinNetwork('n', 0), old.putEndpoint('n', ep('t1', '10.0.0.1'), 0), old.putEndpoint('n', ep('t2', '10.0.0.2'), 0)]) peer.apply(wire(m), 0);
    expect(old.lamport).toBeGreaterThanOrEqual(1_000);
    wall = 5_000; // restarted later, with a fresh DB
    const reborn = new NetworkDb({ nodeId: 'b', clockFloor: () => wall });
    peer.apply(wire(reborn.joinNetwork('n', 1)), 1);
    // Without the floor this delete (Lamport 2) would lose against the old put.
    peer.apply(wire(reborn.deleteEndpoint('n', 't1', 2)), 2);
    expect(peer.endpoints('n').map((e) => e.taskId)).toEqual(['t2']);
    expect(peer.rowsOwnedBy('n', 'b').map((m) => (m.kind?.$case === 'entry' ? m.kind.value.key : ''))).toEqual(['t2']);
    expect(peer.rowsOwnedBy('n', 'nobody')).toEqual([]);
  });

  it('refuses bad input and changes nothing', () => {
    const a = new NetworkDb({ nodeId: 'a' });
    expect(() => a.putEndpoint('n', ep('t1', '10.0.0.1'), 0)).toThrow(/has not joined network n/);
    a.joinNetwork('n', 0);
    const before = a.lamport;
    expect(() => a.putEndpoint('n', ep('t1', ''), 0)).toThrow(/endpoint t1 ip must not be empty/);
    expect(() => a.putEndpoint('', ep('t1', '10.0.0.1'), 0)).toThrow(/network id must not be empty/);
    expect(() => a.putVtep('n', ' ', 0)).toThrow(/VTEP address must not be empty/);
    expect(a.lamport).toBe(before);
    expect(a.endpoints('n')).toEqual([]);
    expect(() => new NetworkDb({ nodeId: '' })).toThrow(/needs a node id/);
  });
});
