// Shared read barriers on a follower of a real 3-member cluster over NATS: every read that
// began after a write was acknowledged sees it, and many concurrent reads cost a couple of
// read-index rounds, not one each.
import { afterEach, describe, expect, it } from 'vitest';
import { SharedReadBarrier } from '../../src/member/shared-read-barrier.js';
import { TestCluster, createNetworkTx } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('SharedReadBarrier over a real cluster', () => {
  it('a follower read after an acknowledged write sees it, alone or among 200 concurrent reads sharing two rounds', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();
    const follower = cluster.live().find((m) => !m.isLeader)!;
    const gate = new SharedReadBarrier(() => follower.readBarrier(3_000));

    for (let i = 0; i < 20; i++) {
      const written = await leader.propose(createNetworkTx(`w${i}`));
      await gate.wait();
      // Acknowledged by the leader before the read began: the follower must have it now.
      expect(follower.store.view().get('network', `net-w${i}`), `write ${i} at index ${written.index}`).toBeDefined();
    }

    const written = await leader.propose(createNetworkTx('burst'));
    const before = { ...gate.stats };
    const seen = await Promise.all(
      Array.from({ length: 200 }, async () => {
        await gate.wait();
        return follower.store.view().get('network', 'net-burst') !== undefined;
      }),
    );
    expect(seen.every(Boolean)).toBe(true);
    expect(follower.appliedIndex).toBeGreaterThanOrEqual(written.index);
    // The first read starts a round; the 199 that arrive while it is in flight share the next.
    expect(gate.stats.barriers - before.barriers).toBe(2);
    expect(gate.stats.reads - before.reads).toBe(200);
  });
});
