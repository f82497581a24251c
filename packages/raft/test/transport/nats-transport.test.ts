// Two transports over a real mTLS nats-server: delivery by member subject, chunked snapshots,
// and the drop filter (both ways and one-way).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RaftMessageType, type RaftMessage } from '@flotilla/api';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { NatsRaftTransport } from '../../src/transport/nats-transport.js';
import { dropIncomingFrom, dropOutgoingTo, isolateFrom } from '../../src/transport/drop-filter.js';
import { message } from '../../src/core/types.js';

let tmp: TempDir;
let nats: TestNats;
beforeAll(async () => {
  tmp = await tempDir('flotilla-raft-transport-');
  const pki = await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }, { name: 'm2', cn: 'm2' }] });
  nats = await startTestNats({ pki });
});
afterAll(async () => {
  await nats?.stop();
  await tmp?.cleanup();
});

async function pair(): Promise<{ t1: NatsRaftTransport; t2: NatsRaftTransport; got1: RaftMessage[]; got2: RaftMessage[]; snaps: Array<[number, boolean]>; close(): void }> {
  const [b1, b2] = await Promise.all([nats.connect('m1'), nats.connect('m2')]);
  const got1: RaftMessage[] = [];
  const got2: RaftMessage[] = [];
  const snaps: Array<[number, boolean]> = [];
  const cid = `c${Math.random().toString(36).slice(2, 8)}`;
  const t1 = new NatsRaftTransport({ nc: b1.nc, clusterId: cid, memberId: 1, onMessage: (m) => got1.push(m), onSnapshotSent: (to, ok) => snaps.push([to, ok]), chunkBytes: 64 * 1024 });
  const t2 = new NatsRaftTransport({ nc: b2.nc, clusterId: cid, memberId: 2, onMessage: (m) => got2.push(m) });
  t1.start();
  t2.start();
  await Promise.all([b1.nc.flush(), b2.nc.flush()]);
  return { t1, t2, got1, got2, snaps, close: () => (t1.close(), t2.close()) };
}

const hb = (from: number, to: number, commit: number): RaftMessage => message({ type: RaftMessageType.RAFT_MSG_HEARTBEAT, from, to, term: 2, commit });

describe('NatsRaftTransport', () => {
  it('delivers messages to the addressed member and a 1 MiB snapshot reassembled from chunks', async () => {
    const p = await pair();
    p.t1.send([hb(1, 2, 5), hb(1, 2, 6)]);
    p.t2.send([hb(2, 1, 7)]);
    await waitFor(() => p.got2.length === 2 && p.got1.length === 1, { what: 'heartbeats delivered' });
    expect(p.got2.map((m) => m.commit)).toEqual([5, 6]);
    expect(p.got1[0]).toEqual(hb(2, 1, 7));

    const data = Buffer.alloc(1024 * 1024, 0xab);
    const snap = message({ type: RaftMessageType.RAFT_MSG_SNAP, from: 1, to: 2, term: 2, snapshot: { metadata: { index: 99, term: 2, confState: { voters: [1, 2], learners: [] } }, data } });
    p.t1.send([snap]);
    const got = await waitFor(() => p.got2.find((m) => m.type === RaftMessageType.RAFT_MSG_SNAP), { what: 'snapshot reassembled' });
    expect(Buffer.from(got.snapshot!.data).equals(data)).toBe(true);
    expect(got.snapshot!.metadata).toEqual(snap.snapshot!.metadata);
    expect(p.t1.stats.chunksSent).toBeGreaterThan(1);
    expect(p.snaps).toEqual([[2, true]]);
    p.close();
  });

  it('drop filters partition both ways or one way, and removing the filter heals', async () => {
    const p = await pair();
    p.t1.setDropFilter(isolateFrom([2]));
    p.t1.send([hb(1, 2, 1)]);
    p.t2.send([hb(2, 1, 2)]);
    // One-way: 2 can no longer reach 1 but 1 reaches 2.
    const p2 = await pair();
    p2.t2.setDropFilter(dropOutgoingTo([1]));
    p2.t2.send([hb(2, 1, 3)]);
    p2.t1.send([hb(1, 2, 4)]);
    await waitFor(() => p2.got2.length === 1, { what: 'one-way link still carries 1 -> 2' });
    p2.t2.setDropFilter(dropIncomingFrom([1]));
    p2.t1.send([hb(1, 2, 5)]);
    p2.t2.send([hb(2, 1, 6)]);
    await waitFor(() => p2.got1.length === 1, { what: '2 -> 1 after flipping the one-way filter' });
    expect(p2.got1.map((m) => m.commit)).toEqual([6]);
    expect(p2.got2.map((m) => m.commit)).toEqual([4]);

    // Healing: a marker sent after removing the filter arrives, and nothing from the partition did.
    p.t1.setDropFilter(undefined);
    p.t1.send([hb(1, 2, 9)]);
    p.t2.send([hb(2, 1, 10)]);
    await waitFor(() => p.got2.length >= 1 && p.got1.length >= 1, { what: 'messages after healing' });
    expect(p.got2.map((m) => m.commit)).toEqual([9]);
    expect(p.got1.map((m) => m.commit)).toEqual([10]);
    expect(p.t1.stats.dropped).toBe(2);
    p.close();
    p2.close();
  });
});
