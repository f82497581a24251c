// Membership changes through the log: a new member joins empty and catches up, a member is removed.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { isRaftMemberError } from '../../src/member/errors.js';
import { TestCluster, proposeUntilAcked } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe('membership changes', () => {
  it('adds a fourth member that catches up, then removes one; the cluster keeps committing', async () => {
    cluster = await TestCluster.start(3, {}, 1);
    const c = cluster;
    let last = 0;
    for (let i = 0; i < 5; i++) last = await proposeUntilAcked(c, `x-${i}`);
    const leader = await c.leader();
    const follower = c.member([1, 2, 3].find((id) => id !== leader.id)!);
    const heard: number[][] = [];
    const off = follower.onVotersChange((voters) => heard.push(voters));

    await expect(leader.addMember(2)).rejects.toSatisfy((e: unknown) => isRaftMemberError(e, 'REFUSED'));
    const joined = await c.startMember(4, { join: true });
    await leader.addMember(4);
    expect(leader.status().voters).toEqual([1, 2, 3, 4]);
    last = await proposeUntilAcked(c, 'after-add');
    await c.appliedEverywhere(last);
    expect(joined.store.view().get('network', 'net-x-0')).toBeDefined();
    expect(joined.status().voters).toEqual([1, 2, 3, 4]);

    // Followers hear of membership changes as they apply them (store watchers see nothing).
    await waitFor(() => heard.some((v) => v.join() === '1,2,3,4'), { what: 'a follower to hear of the added voter' });
    off();

    const victim = [1, 2, 3].find((id) => id !== leader.id && id !== follower.id)!;
    await leader.removeMember(victim);
    await waitFor(() => [leader.id, 4].every((id) => !c.member(id).status().voters.includes(victim)), { what: `member ${victim} removed everywhere` });
    await c.crash(victim);
    last = await proposeUntilAcked(c, 'after-remove');
    await c.appliedEverywhere(last);
    expect(c.member(4).store.view().get('network', 'net-after-remove')).toBeDefined();
  });
});

describe('a membership change and a restart', () => {
  it('a member left alone by a removal comes back from its data dir as the sole voter and leads', async () => {
    cluster = await TestCluster.start(1, {}, 1);
    const c = cluster;
    const one = await c.leader();
    await c.startMember(2, { join: true });
    await one.addMember(2);
    await proposeUntilAcked(c, 'with-two');
    // Two elections after the add: member 1's hard state (term, vote and the commit of that
    // moment) is written with each, so its durable commit includes the add but not what follows.
    one.transferLeadership(2);
    await waitFor(() => c.member(2).isLeader, { what: 'member 2 to lead' });
    c.member(2).transferLeadership(1);
    await waitFor(() => one.isLeader, { what: 'member 1 to lead again' });
    await one.removeMember(2);
    await waitFor(() => !one.status().voters.includes(2), { what: 'member 2 removed' });
    await c.crash(2);
    const last = await proposeUntilAcked(c, 'alone');
    await c.appliedEverywhere(last);
    await c.crash(1);
    const back = await c.startMember(1);
    await waitFor(() => back.isLeader, { what: 'member 1 to lead after its restart', timeoutMs: 10_000 });
    expect(back.status().voters).toEqual([1]);
    await proposeUntilAcked(c, 'after-restart');
    expect(back.store.view().get('network', 'net-alone')).toBeDefined();
  });
});
