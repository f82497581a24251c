// Disaster recovery on real WAL directories with members over a real nats-server: two of three
// members are lost for good; the survivor's data dir is forced into a new one-voter cluster that
// keeps every acknowledged write and takes new ones and new members; and an empty data dir
// seeded from a store snapshot (a backup) comes back the same way.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Network } from '@flotilla/api';
import { waitFor } from '@flotilla/testkit';
import { forceNewCluster, seedFromSnapshot } from '../../src/member/disaster-recovery.js';
import { TransactionBuilder } from '../../src/store/transaction.js';
import { TestCluster, proposeUntilAcked } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** The transaction flotillad adds: here a network named after the members dropped, built on the replayed store. */
const recordRemoved = (view: { get(kind: 'network', id: string): unknown }, removed: readonly number[]): Uint8Array => {
  expect(view.get('network', 'net-pre-0')).toBeDefined();
  return new TransactionBuilder('forced', 1_700_000_000_000)
    .create('network', Network.fromPartial({ id: 'net-forced', spec: { annotations: { name: `removed-${removed.join('-')}` }, driver: 'overlay' } }))
    .encode();
};

describe('forceNewCluster', () => {
  it('the survivor of a 3-member group lost 2 for good comes back as the only voter with every acknowledged write, then grows again', async () => {
    // Snapshots every 8 entries: the survivor's state is a snapshot plus a log tail.
    cluster = await TestCluster.start(3, { snapshotEvery: 8, keepEntriesAfterSnapshot: 2 }, 1);
    const c = cluster;
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      await proposeUntilAcked(c, `pre-${i}`);
      acked.push(`pre-${i}`);
    }
    const survivor = (await c.leader()).id === 1 ? 2 : 1;
    const lost = [1, 2, 3].filter((id) => id !== survivor);
    await c.appliedEverywhere(Math.max(...c.live().map((m) => m.appliedIndex)));
    expect(c.member(survivor).stats.snapshotsTaken).toBeGreaterThan(0);
    for (const id of lost) await c.crash(id);
    await c.crash(survivor);

    const result = await forceNewCluster(c.slot(survivor).dataDir, survivor, { transaction: recordRemoved });
    expect(result.removed).toEqual(lost);

    const back = await c.startMember(survivor);
    await waitFor(() => back.isLeader, { what: 'the survivor to lead alone' });
    expect(back.status().voters).toEqual([survivor]);
    const view = back.store.view();
    expect(acked.filter((n) => view.get('network', `net-${n}`) === undefined)).toEqual([]);
    expect(view.get('network', 'net-forced')?.spec?.annotations?.name).toBe(`removed-${lost.join('-')}`);
    const after = await proposeUntilAcked(c, 'after-force', [survivor]);
    expect(back.appliedIndex).toBeGreaterThanOrEqual(after);

    // A new member joins the one-voter cluster and catches up.
    const joined = await c.startMember(4, { join: true });
    await back.addMember(4);
    const last = await proposeUntilAcked(c, 'with-four', [survivor, 4]);
    await c.appliedEverywhere(last, [survivor, 4]);
    expect(joined.store.view().get('network', 'net-pre-0')).toBeDefined();
    expect(joined.status().voters).toEqual([survivor, 4].sort((a, b) => a - b));

    // Run on its own result again (an interrupted recovery is repeated): still one voter... plus 4 now gone.
    await c.crash(4);
    await c.crash(survivor);
    expect((await forceNewCluster(c.slot(survivor).dataDir, survivor)).removed).toEqual([4]);
    const again = await c.startMember(survivor);
    await waitFor(() => again.isLeader, { what: 'the survivor to lead alone again' });
    expect(again.store.view().get('network', 'net-with-four')).toBeDefined();
  });

  it('refuses a directory with no Raft state and creates nothing there', async () => {
    cluster = await TestCluster.start(1);
    const missing = join(cluster.tmp.path, 'nothing-here');
    await expect(forceNewCluster(missing, 1)).rejects.toThrow(/holds no Raft state/);
    await expect(readdir(missing)).rejects.toThrow(/ENOENT/);
    await expect(forceNewCluster(join(cluster.tmp.path, 'x'), 0)).rejects.toThrow(/positive integer/);
  });
});

describe('seedFromSnapshot', () => {
  it('an empty data dir seeded with a store snapshot and forced alone comes back with the store', async () => {
    cluster = await TestCluster.start(3, {}, 1);
    const c = cluster;
    for (let i = 0; i < 10; i++) await proposeUntilAcked(c, `pre-${i}`);
    const leader = await c.leader();
    await leader.readBarrier();
    const index = leader.store.view().index;
    const seed = { index, term: leader.status().term, voters: leader.status().voters, store: leader.store.snapshot() };
    for (const m of [...c.live()]) await c.crash(m.id);

    const dir = join(c.tmp.path, 'member-4');
    await seedFromSnapshot(dir, seed);
    await expect(seedFromSnapshot(dir, seed)).rejects.toThrow(/already holds Raft state/);
    expect((await forceNewCluster(dir, 4)).removed).toEqual([1, 2, 3]);

    const restored = await c.startMember(4, { join: true });
    await waitFor(() => restored.isLeader, { what: 'the restored member to lead alone' });
    expect(restored.status().voters).toEqual([4]);
    expect(restored.store.view().get('network', 'net-pre-9')).toBeDefined();
    await proposeUntilAcked(c, 'after-restore', [4]);
  });

  it('refuses bytes that are not a store snapshot, writing nothing', async () => {
    cluster = await TestCluster.start(1);
    const dir = join(cluster.tmp.path, 'bad-seed');
    await mkdir(dir);
    await writeFile(join(dir, 'keep'), 'x');
    await expect(seedFromSnapshot(dir, { index: 5, term: 1, voters: [1], store: Buffer.from('not a snapshot') })).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['keep']);
  });
});
