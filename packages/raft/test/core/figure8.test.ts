import { RaftMessageType as T } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../sim/cluster.js';

/** Campaigns on `id` until it leads (a first try can lose to a term it has not heard of). */
function makeLeader(c: SimCluster, id: number): void {
  for (let attempt = 0; attempt < 5 && c.member(id).node!.raft.role !== 'leader'; attempt++) {
    c.withNode(id, (n) => n.campaign());
    c.runTicks(3);
  }
  expect(c.member(id).node!.raft.role).toBe('leader');
}

// The Raft paper's figure 8: an entry from an earlier term stored on a majority is not
// committed by counting replicas. If it were, this run would apply it and then let a later
// leader overwrite it, which the safety checker reports.
describe('figure 8', () => {
  it('a leader does not commit an earlier term’s entry by counting replicas', () => {
    const c = new SimCluster({ seed: 81, voters: [1, 2, 3, 4, 5], preVote: false, checkQuorum: false, electionTick: 1000, maxSizePerMsg: 1 });
    c.runTicks(2);
    makeLeader(c, 1);
    c.runTicks(3);

    // (a) S1 stores A on S2 only.
    c.net.partition([[1, 2], [3, 4, 5]]);
    expect(c.propose(1, Buffer.from('A'))).toBe(true);
    c.runTicks(3);
    const log1 = c.member(1).node!.raft.raftLog;
    const i = log1.lastIndex();
    const termA = log1.term(i);
    expect(c.member(2).node!.raft.raftLog.term(i)).toBe(termA);

    // (b) S5 leads a later term with S3 and S4 but its own entry at i reaches nobody.
    c.net.dropIf = (m) => m.from === 5 && m.type === T.RAFT_MSG_APP;
    makeLeader(c, 5);
    const termB = c.member(5).node!.raft.raftLog.term(i);
    expect(termB).toBeGreaterThan(termA);
    c.crash(5);

    // (c) S1 leads again and stores A on S3 too (a majority: S1, S2, S3), but its own term's
    // entry after A never reaches S3.
    c.net.partition([[1, 2, 3], [4, 5]]);
    const s3HasA = (): boolean => c.member(3).node!.raft.raftLog.matchTerm(i, termA);
    c.net.dropIf = (m) => m.from === 1 && m.to === 3 && m.type === T.RAFT_MSG_APP && m.entries.some((e) => e.index > i) && s3HasA();
    c.crash(1); // S1 still thinks it leads the old term; a restart makes it a follower that can campaign
    c.restart(1);
    makeLeader(c, 1);
    c.runTicks(10);
    expect(c.member(3).node!.raft.raftLog.term(i)).toBe(termA);
    expect(c.member(1).node!.raft.raftLog.committed).toBeLessThan(i);

    // (d) S1 fails; S5 comes back, wins with S2, S3, S4 (its last term is newer) and replaces A.
    c.crash(1);
    c.net.dropIf = undefined;
    c.net.heal();
    c.restart(5);
    makeLeader(c, 5);
    c.runTicks(10);
    for (const id of [2, 3, 4, 5]) {
      expect(c.member(id).node!.raft.raftLog.term(i)).toBe(termB);
      expect(c.member(id).appliedLog.some((e) => e.data.toString() === 'A')).toBe(false);
    }
  });
});
