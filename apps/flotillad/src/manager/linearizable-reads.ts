import { isRaftMemberError, SharedReadBarrier, type RaftMember } from '@flotilla/raft';

/** How long a read waits for a leader to confirm its read point (an election fits in it). */
export const READ_DEADLINE_MS = 5_000;
/** One read-index round; a round lost with a leader that went away is tried again within the deadline. */
const ROUND_MS = 2_000;
const RETRY_PAUSE_MS = 50;

/** No Raft leader confirmed a read point in time: this manager's store may be behind the swarm. */
export class NoReadLeader extends Error {
  override readonly name = 'NoReadLeader';
}

const barriers = new WeakMap<RaftMember, SharedReadBarrier>();

function barrierOf(member: RaftMember): SharedReadBarrier {
  let barrier = barriers.get(member);
  if (!barrier) {
    barrier = new SharedReadBarrier(() => member.readBarrier(ROUND_MS));
    barriers.set(member, barrier);
  }
  return barrier;
}

/** The shared barrier of `member`, for benchmarks that count its rounds. */
export function readBarrierStats(member: RaftMember): { barriers: number; reads: number } {
  return { ...barrierOf(member).stats };
}

/**
 * Waits until this member's store holds everything the swarm committed before the call
 * (read-index through the leader; concurrent reads share rounds), so a read of the local store
 * after it is linearizable, on a follower as on the leader. Through an election it waits for the
 * new leader; when none confirms a read point within `deadlineMs` it throws NoReadLeader rather
 * than let the caller serve what may be stale. A stopped or failed member, or one whose disk is
 * full, throws its own error at once.
 */
export async function awaitReadBarrier(member: RaftMember, deadlineMs = READ_DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let why = 'no leader known';
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new NoReadLeader(`${why}; gave up after ${deadlineMs / 1000}s`);
    if (member.leaderId === 0) {
      why = 'no leader known';
      await leaderKnown(member, left);
      continue;
    }
    try {
      await within(barrierOf(member).wait(), left);
      return;
    } catch (err) {
      if (err === DEADLINE) continue;
      // A stopped or failed member, or one whose disk is full, will not confirm a read by waiting.
      if (!isRaftMemberError(err) || err.code === 'STOPPED' || err.code === 'FAILED' || err.code === 'NO_SPACE') throw err;
      why = err.message;
      await new Promise((r) => setTimeout(r, Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - Date.now()))));
    }
  }
}

const DEADLINE = Symbol('deadline');

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(DEADLINE), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Resolves once `member` knows a leader, or after `ms`. */
function leaderKnown(member: RaftMember, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = member.onLeaderChange((change) => {
      if (change.leader !== 0) done();
    });
    if (member.leaderId !== 0) done();
  });
}
