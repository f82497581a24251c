// One member on its own (a one-voter cluster commits alone) over a real nats-server: snapshots,
// compaction and a restart from the data dir that restores the store from the snapshot and
// replays the WAL tail after it.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, startTestNats, tempDir, waitFor, type TempDir, type TestNats } from '@flotilla/testkit';
import { RaftHardState, RaftSnapshot } from '@flotilla/api';
import { bootstrapLog } from '../../src/core/bootstrap.js';
import { walEntries } from '../../src/member/durable-state.js';
import { RaftMember } from '../../src/member/member.js';
import { Wal } from '../../src/storage/wal.js';
import { Store } from '../../src/store/store.js';
import { isRaftMemberError } from '../../src/member/errors.js';
import { createNetworkTx } from '../integration/cluster.js';

let tmp: TempDir;
let nats: TestNats;
beforeAll(async () => {
  tmp = await tempDir('flotilla-raft-member-');
  nats = await startTestNats({ pki: await makeTestPki(join(tmp.path, 'pki'), { clients: [{ name: 'm1', cn: 'm1' }] }) });
});
afterAll(async () => {
  await nats?.stop();
  await tmp?.cleanup();
});

async function startSolo(dataDir: string): Promise<RaftMember> {
  const bus = await nats.connect('m1');
  const m = await RaftMember.start({
    id: 1,
    clusterId: 'solo',
    dataDir,
    nc: bus.nc,
    bootstrap: [1],
    tickMs: 20,
    snapshotEvery: 10,
    keepEntriesAfterSnapshot: 3,
    wal: { segmentBytes: 2048, compactionTail: 3 },
  });
  await waitFor(() => m.isLeader, { what: 'the single member to lead' });
  return m;
}

describe('RaftMember on its own', () => {
  it('tells proposal listeners each proposal time to applied, and stops after unsubscribe', async () => {
    const m = await startSolo(join(tmp.path, 'd-listeners'));
    try {
      const seen: { seconds: number; ok: boolean }[] = [];
      const off = m.onProposalDone((seconds, ok) => seen.push({ seconds, ok }));
      await m.propose(createNetworkTx('listened-1'));
      await m.propose(createNetworkTx('listened-2'));
      await waitFor(() => seen.length === 2, { what: 'two proposals reported' });
      expect(seen.every((s) => s.ok && s.seconds > 0 && s.seconds < 30)).toBe(true);
      off();
      await m.propose(createNetworkTx('unlistened'));
      expect(seen).toHaveLength(2);
    } finally {
      await m.stop();
    }
  });

  it('snapshots, compacts, and restarts from snapshot plus WAL tail with the same store', async () => {
    const dir = join(tmp.path, 'd1');
    const m = await startSolo(dir);
    let last = 0;
    for (let i = 0; i < 35; i++) {
      const a = await m.propose(createNetworkTx(`s${i}`));
      expect(a.result?.ok).toBe(true);
      last = a.index;
    }
    // Snapshots are written in the background: wait for the third to be installed.
    await waitFor(() => m.stats.snapshotsTaken >= 3, { what: 'three snapshots taken' });
    const snapIndex = m.status().snapshotIndex;
    expect(snapIndex).toBeGreaterThan(0);
    expect(snapIndex).toBeLessThan(last); // so the restart must replay entries after the snapshot
    expect((await readdir(join(dir, 'snap'))).length).toBeGreaterThan(0);
    await m.stop();
    await expect(m.propose(createNetworkTx('late'))).rejects.toSatisfy((e: unknown) => isRaftMemberError(e, 'STOPPED'));

    const again = await startSolo(dir);
    await waitFor(() => again.appliedIndex >= last, { what: 'replay up to the last index' });
    const view = again.store.view();
    expect(view.networks.count).toBe(35);
    expect(view.networks.byName('name-s34')?.id).toBe('net-s34');
    // Writes continue with indexes after the old ones.
    const next = await again.propose(createNetworkTx('after'));
    expect(next.index).toBeGreaterThan(last);
    await again.stop();
  });

  it('refuses impossible membership changes and a refused transaction still resolves with its verdict', async () => {
    const m = await startSolo(join(tmp.path, 'd2'));
    await expect(m.removeMember(1)).rejects.toSatisfy((e: unknown) => isRaftMemberError(e, 'REFUSED'));
    await m.propose(createNetworkTx('dup'));
    const again = await m.propose(createNetworkTx('dup', 'second-writer'));
    expect(again.result?.ok).toBe(false);
    expect(again.result && !again.result.ok && again.result.error.code).toBe('NameConflict');
    expect(await m.readBarrier()).toBeGreaterThanOrEqual(again.index);
    await m.stop();
  });
});

describe('exactly-once proposals', () => {
  it('the same bytes proposed again (lost reply, concurrent retry, restart from a snapshot) apply once with the first outcome', async () => {
    const dir = join(tmp.path, 'd4');
    let m = await startSolo(dir);
    const tx = createNetworkTx('once');
    // Two sends of the same bytes in flight at once share one log entry.
    const lastBefore = m.status().commit;
    const [a, b] = await Promise.all([m.propose(tx), m.propose(tx)]);
    expect(b.result?.index).toBe(a.index);
    expect(m.status().commit).toBe(lastBefore + 1);
    // The reply was lost and the caller sends it again: the first outcome, nothing applied.
    const retry = await m.propose(tx);
    expect(retry).toMatchObject({ index: a.index, result: { ok: true, index: a.index, duplicate: true } });
    expect(m.status().commit).toBe(lastBefore + 1);
    // A refused write's retry gets the same refusal.
    const clash = createNetworkTx('once', 'clash');
    const refused = await m.propose(clash);
    expect(refused.result?.ok).toBe(false);
    // Past a snapshot (every 10 entries here) and a restart, the table still knows both.
    for (let i = 0; i < 12; i++) await m.propose(createNetworkTx(`fill-${i}`));
    await waitFor(() => m.status().snapshotIndex > refused.index, { what: 'a snapshot past the refused write' });
    await m.stop();
    m = await startSolo(dir);
    await m.readBarrier();
    expect((await m.propose(tx)).result).toMatchObject({ ok: true, index: a.index, duplicate: true });
    const again = await m.propose(clash);
    expect(again.result).toMatchObject({ ok: false, index: refused.index, duplicate: true });
    expect([...m.store.view().networks.all()].filter((n) => n.id === 'net-once')).toHaveLength(1);
    await m.stop();
  });
});

describe('recovery of a data dir left by a crash', () => {
  it('starts when the snapshot installed from a leader is newer than the saved commit index', async () => {
    const dir = join(tmp.path, 'd3');
    // What a follower leaves behind when it crashes between writing an installed snapshot and
    // the hard state that comes after it: snapshot at 12, commit still 1.
    const { wal } = await Wal.open(dir);
    const boot = bootstrapLog([1]);
    await wal.save(RaftHardState.encode(boot.hardState).finish(), walEntries(boot.entries));
    const store = new Store();
    store.apply(12, createNetworkTx('from-snapshot'));
    const snap = RaftSnapshot.encode({ metadata: { index: 12, term: 2, confState: { voters: [1], learners: [] } }, data: Buffer.from(store.snapshot()) }).finish();
    await wal.saveSnapshot({ index: 12, term: 2, data: snap });
    await wal.close();

    const m = await startSolo(dir);
    expect(m.store.view().get('network', 'net-from-snapshot')).toBeDefined();
    const a = await m.propose(createNetworkTx('next'));
    expect(a.index).toBeGreaterThan(12);
    await m.stop();
  });
});
