// Five members: two crashed (the leader among them) still leave a working majority; a
// partitioned minority of two cannot commit; after healing and restarting, nothing acknowledged is lost.
import { afterEach, describe, expect, it } from 'vitest';
import { isolateFrom } from '../../src/transport/drop-filter.js';
import { TestCluster, createNetworkTx, proposeUntilAcked } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const ALL = [1, 2, 3, 4, 5];

describe('a 5-member cluster over NATS', () => {
  it('survives two crashes and a partitioned minority without losing an acknowledged write', async () => {
    cluster = await TestCluster.start(5);
    const c = cluster;
    const acked: string[] = [];
    const ack = async (n: string, among?: number[]): Promise<number> => {
      const i = await proposeUntilAcked(c, n, among);
      acked.push(n);
      return i;
    };
    const first = await c.leader();
    for (let i = 0; i < 10; i++) await ack(`a-${i}`);

    const crashed = [first.id, ALL.find((id) => id !== first.id)!];
    for (const id of crashed) await c.crash(id);
    const rest = ALL.filter((id) => !crashed.includes(id));
    await c.leader(rest);
    for (let i = 0; i < 10; i++) await ack(`b-${i}`);
    for (const id of crashed) await c.startMember(id);
    let last = await ack('b-last');
    await c.appliedEverywhere(last);

    // Partition {m1, m2} away from {m3, m4, m5}.
    const minority = [1, 2];
    const majority = [3, 4, 5];
    for (const id of minority) c.member(id).setDropFilter(isolateFrom(majority));
    for (const id of majority) c.member(id).setDropFilter(isolateFrom(minority));
    // Everything was applied everywhere before the cut, so nothing more can commit on the minority side.
    const frozen = minority.map((id) => c.member(id).appliedIndex);
    const minorityProposals = minority
      .map((id) => c.member(id))
      .filter((m) => m.isLeader)
      .map((m) => m.propose(createNetworkTx('minority'), 1_000).catch((e: unknown) => e));
    await c.leader(majority);
    for (let i = 0; i < 10; i++) last = await ack(`c-${i}`, majority);
    for (const r of await Promise.all(minorityProposals)) expect(r).toBeInstanceOf(Error);
    expect(minority.map((id) => c.member(id).appliedIndex)).toEqual(frozen);
    for (const id of minority) {
      expect(c.member(id).store.view().get('network', 'net-c-0')).toBeUndefined();
    }

    for (const id of ALL) c.member(id).setDropFilter(undefined);
    last = await ack('healed');
    await c.appliedEverywhere(last);
    for (const id of ALL) {
      const view = c.member(id).store.view();
      expect(acked.filter((n) => view.get('network', `net-${n}`) === undefined), `missing on ${id}`).toEqual([]);
      expect(view.get('network', 'net-minority')).toBeUndefined();
    }
  });
});
