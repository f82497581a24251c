// Three members over a real mTLS nats-server with real WAL directories: election, replication,
// a crashed leader, a restart from disk, a partitioned minority, and no acknowledged write lost.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { dropIncomingFrom, isolateFrom } from '../../src/transport/drop-filter.js';
import { isRaftMemberError } from '../../src/member/errors.js';
import { TestCluster, createNetworkTx, proposeUntilAcked } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function expectAllWrites(c: TestCluster, acked: string[], ids: number[]): void {
  for (const id of ids) {
    const view = c.member(id).store.view();
    const missing = acked.filter((n) => view.get('network', `net-${n}`) === undefined);
    expect(missing, `acknowledged writes missing on member ${id}`).toEqual([]);
  }
}

describe('a 3-member cluster over NATS', () => {
  it('elects one leader and applies proposals on every member; followers answer NOT_LEADER with a hint', async () => {
    cluster = await TestCluster.start(3);
    const leader = await cluster.leader();
    const applied = await leader.propose(createNetworkTx('a'));
    expect(applied.result?.ok).toBe(true);
    await cluster.appliedEverywhere(applied.index);
    for (const m of cluster.live()) expect(m.store.view().get('network', 'net-a')?.spec?.annotations?.name).toBe('name-a');

    const follower = cluster.live().find((m) => !m.isLeader)!;
    const err = await follower.propose(createNetworkTx('b')).catch((e: unknown) => e);
    expect(isRaftMemberError(err, 'NOT_LEADER')).toBe(true);
    expect((err as { leaderHint: number }).leaderHint).toBe(leader.id);

    // A read barrier on a follower returns only once it has applied everything committed before it.
    const w = await leader.propose(createNetworkTx('c'));
    const readIndex = await follower.readBarrier();
    expect(readIndex).toBeGreaterThanOrEqual(w.index);
    expect(follower.store.view().get('network', 'net-c')).toBeDefined();
  });

  it('keeps accepting writes after the leader crashes, and the restarted member catches up from its data dir', async () => {
    cluster = await TestCluster.start(3);
    const c = cluster;
    const acked: string[] = [];
    const first = await c.leader();
    for (let i = 0; i < 20; i++) {
      await proposeUntilAcked(c, `pre-${i}`);
      acked.push(`pre-${i}`);
    }
    await c.crash(first.id);
    const others = c.live().map((m) => m.id);
    const second = await c.leader(others);
    expect(second.id).not.toBe(first.id);
    let last = 0;
    for (let i = 0; i < 20; i++) {
      last = await proposeUntilAcked(c, `post-${i}`);
      acked.push(`post-${i}`);
    }
    await c.appliedEverywhere(last, others);

    const restarted = await c.startMember(first.id);
    await c.appliedEverywhere(last);
    expect(restarted.appliedIndex).toBeGreaterThanOrEqual(last);
    expectAllWrites(c, acked, [1, 2, 3]);
  });

  it('a partitioned minority stops committing while the majority goes on; after healing every acknowledged write is everywhere', async () => {
    cluster = await TestCluster.start(3);
    const c = cluster;
    const acked: string[] = [];
    const leader = await c.leader();
    for (let i = 0; i < 10; i++) {
      await proposeUntilAcked(c, `a-${i}`);
      acked.push(`a-${i}`);
    }
    // Cut the current leader off: it becomes the minority of one.
    const minority = leader.id;
    const majority = [1, 2, 3].filter((id) => id !== minority);
    c.member(minority).setDropFilter(isolateFrom(majority));
    for (const id of majority) c.member(id).setDropFilter(isolateFrom([minority]));

    // The old leader cannot commit: its proposal is never acknowledged.
    const stuck = c.member(minority).propose(createNetworkTx('lost'), 1_500).catch((e: unknown) => e);
    const newLeader = await c.leader(majority);
    expect(newLeader.id).not.toBe(minority);
    let last = 0;
    for (let i = 0; i < 10; i++) {
      last = await proposeUntilAcked(c, `b-${i}`, majority);
      acked.push(`b-${i}`);
    }
    const stuckErr = await stuck;
    expect(isRaftMemberError(stuckErr)).toBe(true);
    expect(c.member(minority).appliedIndex).toBeLessThan(last);
    expect(c.member(minority).store.view().get('network', 'net-b-0')).toBeUndefined();

    for (const id of [1, 2, 3]) c.member(id).setDropFilter(undefined);
    await c.appliedEverywhere(last);
    await waitFor(() => c.live().filter((m) => m.isLeader).length === 1, { what: 'a single leader after healing' });
    expectAllWrites(c, acked, [1, 2, 3]);
    // The minority's unacknowledged entry was overwritten, never applied.
    expect(c.member(minority).store.view().get('network', 'net-lost')).toBeUndefined();
  });

  it('a leader that can send but no longer hears anyone steps down (check-quorum) and the others take over', async () => {
    cluster = await TestCluster.start(3);
    const c = cluster;
    const acked: string[] = [];
    const leader = await c.leader();
    for (let i = 0; i < 5; i++) {
      await proposeUntilAcked(c, `p-${i}`);
      acked.push(`p-${i}`);
    }
    const others = [1, 2, 3].filter((id) => id !== leader.id);
    // One-way: the leader's messages still arrive everywhere; nothing reaches it any more.
    leader.setDropFilter(dropIncomingFrom(others));
    await waitFor(() => !leader.isLeader, { what: `member ${leader.id} to step down without answers` });
    const next = await c.leader(others);
    expect(next.id).not.toBe(leader.id);
    let last = 0;
    for (let i = 0; i < 5; i++) {
      last = await proposeUntilAcked(c, `q-${i}`, others);
      acked.push(`q-${i}`);
    }
    leader.setDropFilter(undefined);
    await c.appliedEverywhere(last);
    expectAllWrites(c, acked, [1, 2, 3]);
  });

  it('a read barrier waiting on a leader that is cut off fails with LEADER_CHANGED as soon as another leads', async () => {
    cluster = await TestCluster.start(3, { requestTimeoutMs: 30_000 });
    const c = cluster;
    const leader = await c.leader();
    const others = [1, 2, 3].filter((id) => id !== leader.id);
    const follower = c.member(others[0]!);
    // Nothing reaches the leader any more, so the follower's read index request is never answered.
    leader.setDropFilter(isolateFrom(others));
    const barrier = follower.readBarrier().then(
      () => 'confirmed',
      (e: unknown) => e,
    );
    const next = await c.leader(others);
    expect(next.id).not.toBe(leader.id);
    const outcome = await barrier;
    expect(isRaftMemberError(outcome, 'LEADER_CHANGED'), String(outcome)).toBe(true);
    leader.setDropFilter(undefined);
    expect(await follower.readBarrier()).toBeGreaterThan(0);
  });

  it('a leader that has heard from no quorum for leaderContactTicks refuses writes at once, before check-quorum deposes it', async () => {
    // Elections slow (40 ticks), the contact window short (2 ticks): a window where the cut-off leader still leads.
    cluster = await TestCluster.start(3, { electionTicks: 40, leaderContactTicks: 2 });
    const c = cluster;
    const leader = await c.leader();
    await proposeUntilAcked(c, 'before');
    leader.setDropFilter(isolateFrom([1, 2, 3].filter((id) => id !== leader.id)));
    let attempt = 0;
    const refused = await waitFor(
      async () => {
        // A new transaction each time: a repeat of one already taken would wait for its entry instead.
        const e = await leader.propose(createNetworkTx(`cut-off-${attempt++}`), 100).catch((err: unknown) => err);
        return isRaftMemberError(e, 'NOT_LEADER') ? e : undefined;
      },
      { what: 'the cut-off leader to refuse' },
    );
    expect(leader.isLeader, refused.message).toBe(true);
    expect(refused.message).toMatch(/heard from only 0 of 2 other voters in the last 2 ticks: it is probably cut off/);
    leader.setDropFilter(undefined);
  });
});

