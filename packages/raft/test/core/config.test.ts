import { describe, expect, it } from 'vitest';
import { bootstrapLog } from '../../src/core/bootstrap.js';
import { MemoryStorage } from '../../src/core/memory-storage.js';
import { RaftNode } from '../../src/core/node.js';
import { SeededRng } from '../../src/core/rng.js';
import { SimCluster } from '../sim/cluster.js';

const base = () => ({ id: 1, storage: MemoryStorage.bootstrap([1]), electionTick: 10, heartbeatTick: 1, rng: new SeededRng(1) });

describe('configuration and bootstrap input', () => {
  it('refuses bad settings with an error naming the setting', () => {
    expect(() => new RaftNode({ ...base(), id: 0 })).toThrow(/id must be a positive integer/);
    expect(() => new RaftNode({ ...base(), electionTick: 1 })).toThrow(/electionTick/);
    expect(() => new RaftNode({ ...base(), heartbeatTick: 0 })).toThrow(/heartbeatTick/);
    expect(() => new RaftNode({ ...base(), maxInflightMsgs: 0 })).toThrow(/maxInflightMsgs/);
    expect(() => new RaftNode({ ...base(), maxUncommittedEntriesSize: -1 })).toThrow(/maxUncommittedEntriesSize/);
    expect(() => bootstrapLog([])).toThrow(/at least one voter/);
    expect(() => bootstrapLog([1, 1])).toThrow(/duplicate/);
    expect(() => bootstrapLog([1], [-2])).toThrow(/positive integer/);
  });

  it('refuses a stored commit index past the stored log', () => {
    const s = MemoryStorage.bootstrap([1, 2, 3]);
    s.setHardState({ term: 1, vote: 0, commit: 99 });
    expect(() => new RaftNode({ ...base(), storage: s })).toThrow(/stored commit 99/);
  });

  it('a follower with forwarding disabled drops proposals instead of sending them to the leader', () => {
    const c = new SimCluster({ seed: 71, voters: [1, 2, 3] });
    expect(c.runUntil(() => c.leader() !== undefined, 200)).toBe(true);
    c.runTicks(3);
    const f = [1, 2, 3].find((id) => id !== c.leader()!.id)!;
    expect(c.propose(f, Buffer.from('forwarded'))).toBe(true);
    const strict = new RaftNode({ id: f, storage: c.member(f).storage, electionTick: 10, heartbeatTick: 1, rng: new SeededRng(2), disableProposalForwarding: true });
    strict.raft.becomeFollower(c.leader()!.node!.raft.term, c.leader()!.id);
    expect(() => strict.propose(Buffer.from('x'))).toThrow(/does not forward/);
  });
});
