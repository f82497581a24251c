// Snapshots through the whole path: store snapshot -> WAL snapshot -> compaction, a member down
// for longer than the kept tail catching up by an installed snapshot, and restarts from disk.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster, proposeUntilAcked } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

// Small chunks so the snapshot (a few KiB here) travels in several pieces.
const tuning = { chunkBytes: 1024, snapshotEvery: 20, keepEntriesAfterSnapshot: 5, wal: { segmentBytes: 4096, compactionTail: 5 } };

describe('snapshots and catch-up', () => {
  it('a member down for longer than the compaction tail catches up through a snapshot sent in chunks', async () => {
    cluster = await TestCluster.start(3, tuning);
    const c = cluster;
    const acked: string[] = [];
    const leader = await c.leader();
    const down = [1, 2, 3].find((id) => id !== leader.id)!;
    for (let i = 0; i < 5; i++) {
      await proposeUntilAcked(c, `early-${i}`);
      acked.push(`early-${i}`);
    }
    const downAt = c.member(down).appliedIndex;
    await c.crash(down);

    let last = 0;
    for (let i = 0; i < 120; i++) {
      last = await proposeUntilAcked(c, `while-down-${i}`);
      acked.push(`while-down-${i}`);
    }
    const up = [1, 2, 3].filter((id) => id !== down);
    await c.appliedEverywhere(last, up);
    for (const id of up) expect(c.member(id).stats.snapshotsTaken).toBeGreaterThan(0);
    // The leader no longer holds the entries the downed member lacks, so appends cannot help it.
    const l = c.member(up.find((id) => c.member(id).isLeader)!);
    expect(l.status().snapshotIndex - 5).toBeGreaterThan(downAt);
    // Compaction removed old WAL segments on disk.
    const segs = await readdir(join(c.slot(l.id).dataDir, 'wal'));
    expect(segs.length).toBeLessThan(10);

    const back = await c.startMember(down);
    await c.appliedEverywhere(last);
    expect(back.stats.snapshotsInstalled).toBeGreaterThanOrEqual(1);
    expect(l.transport.stats.chunksSent).toBeGreaterThan(1);
    for (const id of [1, 2, 3]) {
      const view = c.member(id).store.view();
      expect(acked.filter((n) => view.get('network', `net-${n}`) === undefined), `missing on ${id}`).toEqual([]);
    }

    // Every member restarts from its own snapshot plus WAL tail and comes back with the same store.
    const before = c.member(1).store.view().networks.count;
    for (const id of [1, 2, 3]) await c.crash(id);
    for (const id of [1, 2, 3]) await c.startMember(id);
    for (const id of [1, 2, 3]) expect(c.member(id).store.view().networks.count).toBeGreaterThan(0);
    const after = await proposeUntilAcked(c, 'after-full-restart');
    await c.appliedEverywhere(after);
    for (const id of [1, 2, 3]) expect(c.member(id).store.view().networks.count).toBe(before + 1);
  });
});
