import { randomUUID } from 'node:crypto';
import { BusErrorCode, isBusRequestError } from '@flotilla/bus';
import { RaftMember, RaftMemberError, ReadTx, StoreClient, TransactionBuilder, VersionConflict, isRaftMemberError, storeErrorFrom, type StoreError } from '@flotilla/raft';

/** A transaction the store refused (name taken, not found, ...): the caller's input was wrong. */
export class StoreRefused extends Error {
  constructor(override readonly cause: StoreError) {
    super(cause.message);
    this.name = 'StoreRefused';
  }
}

const MAX_ATTEMPTS = 8;
/** How long one write may take, retries through elections included. */
const WRITE_DEADLINE_MS = 10_000;
/** One try on this manager's own member while it leads (it commits in milliseconds unless cut off). */
const LOCAL_ATTEMPT_MS = 1_000;

/**
 * A follower manager cannot append to the Raft log itself: its writes go to the leader's store
 * service over NATS. Registered by the manager runtime for its member; without one, writes on a
 * follower fail with NOT_LEADER as before.
 */
const forwarders = new WeakMap<RaftMember, StoreClient>();

export function forwardWritesOnFollower(member: RaftMember, client: StoreClient): void {
  forwarders.set(member, client);
}

type Outcome = { index: number } | { conflict: true } | { refused: StoreError };

function outcomeOf(index: number, result: { ok: true } | { ok: false; error: StoreError } | undefined): Outcome {
  if (!result || result.ok) return { index };
  if (result.error instanceof VersionConflict) return { conflict: true };
  return { refused: result.error };
}

/** Codes of a forwarded write's final failure that the store decided (the leader's refusal). */
const REFUSALS = new Map<BusErrorCode, StoreError['code']>([
  [BusErrorCode.ALREADY_EXISTS, 'NameConflict'],
  [BusErrorCode.NOT_FOUND, 'NotFound'],
  [BusErrorCode.INVALID_ARGUMENT, 'InvalidTransaction'],
]);

async function proposeThroughLeader(member: RaftMember, client: StoreClient, bytes: Uint8Array, deadline: number): Promise<Outcome> {
  let index: number;
  try {
    // The client sends these same bytes again after timeouts, NOT_LEADER and leader changes until
    // the deadline; the transaction id makes every repeat apply at most once.
    index = await client.propose(bytes, Math.max(1, deadline - Date.now()));
  } catch (err) {
    if (isBusRequestError(err, BusErrorCode.CONFLICT)) return { conflict: true };
    // The leader's refusal arrives as a bus code; rebuilt as the store's own error so callers map it alike.
    const refusal = isBusRequestError(err) ? REFUSALS.get(err.code) : undefined;
    if (refusal) return { refused: storeErrorFrom(refusal, (err as Error).message) };
    if (isBusRequestError(err, BusErrorCode.DEADLINE_EXCEEDED)) throw new RaftMemberError('TIMEOUT', `the write was not applied within ${WRITE_DEADLINE_MS / 1000}s: ${err.message}`);
    if (isBusRequestError(err, BusErrorCode.UNAVAILABLE) || isBusRequestError(err, BusErrorCode.NOT_LEADER)) {
      throw new RaftMemberError('NOT_LEADER', `no Raft leader took the write within ${WRITE_DEADLINE_MS / 1000}s: ${err.message}`);
    }
    throw err;
  }
  // Our own reads must see what we just wrote before the caller answers.
  const here = await appliedHere(member, index, deadline);
  if (here instanceof RaftMemberError) {
    // Committed, so not refused; but this manager cannot show it (nor confirm any read) until space returns.
    const full = here.message.replace(/: write refused$/, '');
    throw new RaftMemberError('NO_SPACE', `${full}: the leader committed this write at index ${index} before this manager found its disk full; it is in the swarm, and shows here once space returns`);
  }
  if (!here) throw new RaftMemberError('TIMEOUT', `write applied by the leader at index ${index} but not yet here`);
  return { index };
}

/**
 * Waits until this member applied `index` (true), the deadline (false), or its disk is found full
 * (the refusal): a follower whose disk filled cannot apply what the leader committed until space
 * returns, and waiting out the deadline would only turn a clear answer into a TIMEOUT.
 */
async function appliedHere(member: RaftMember, index: number, deadline: number): Promise<boolean | RaftMemberError> {
  if (member.writeRefusal) return member.writeRefusal;
  let unsubscribe = (): void => undefined;
  const full = new Promise<RaftMemberError>((resolve) => {
    unsubscribe = member.onWriteRefusal(resolve);
  });
  try {
    return await Promise.race([member.waitForApplied(index, Math.max(1, deadline - Date.now())), full]);
  } finally {
    unsubscribe();
  }
}

/** Read through a call: the refusal comes and goes while a write waits. */
const diskFull = (member: RaftMember): RaftMemberError | undefined => member.writeRefusal;

/**
 * Proposes `bytes` until they are applied or the deadline passes: on this member while it leads,
 * through the leader's store service otherwise, switching as leadership moves. Always the same
 * bytes (one transaction id), so no retry can apply the write twice.
 */
async function proposeOnce(member: RaftMember, bytes: Uint8Array, deadline: number): Promise<Outcome> {
  // A full disk on this manager: refuse with the clear reason before the write goes anywhere.
  if (member.writeRefusal) throw member.writeRefusal;
  for (;;) {
    const forwarder = forwarders.get(member);
    if (!member.isLeader && forwarder) return proposeThroughLeader(member, forwarder, bytes, deadline);
    try {
      const applied = await member.propose(bytes, Math.max(1, Math.min(LOCAL_ATTEMPT_MS, deadline - Date.now())));
      return outcomeOf(applied.result?.index ?? applied.index, applied.result);
    } catch (err) {
      // The disk filled while this write was in the log: it is not lost, it applies once space
      // returns. Said at once: retrying on this full disk would only turn it into a timeout.
      const full = diskFull(member);
      if (full) throw new RaftMemberError('NO_SPACE', `${full.message}; this write reached the log first and applies once space returns`);
      const retry = forwarder !== undefined && (isRaftMemberError(err, 'NOT_LEADER') || isRaftMemberError(err, 'LEADER_CHANGED') || isRaftMemberError(err, 'TIMEOUT'));
      if (retry && Date.now() < deadline) {
        if (isRaftMemberError(err, 'NOT_LEADER') && member.isLeader) await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      throw err;
    }
  }
}

export interface WriteOptions {
  /**
   * The write is a decision only the leader may take (a node is down, a node is ready), named
   * here for the refusal: it is proposed on this member while it leads and never forwarded. A
   * deposed leader whose services have not stopped yet (a stop stuck behind a cut-off network)
   * must not go on deciding through the new leader.
   */
  onlyAsLeader?: string;
}

function notLeading(decision: string): RaftMemberError {
  return new RaftMemberError('NOT_LEADER', `this manager no longer leads the swarm, so it does not record that ${decision}; the leader decides`);
}

/** One proposal on this member, only while it leads: a lost leadership ends the write, no retry elsewhere. */
async function proposeAsLeader(member: RaftMember, bytes: Uint8Array, deadline: number, decision: string): Promise<Outcome> {
  if (member.writeRefusal) throw member.writeRefusal;
  try {
    const applied = await member.propose(bytes, Math.max(1, deadline - Date.now()));
    return outcomeOf(applied.result?.index ?? applied.index, applied.result);
  } catch (err) {
    if (isRaftMemberError(err, 'NOT_LEADER')) throw notLeading(decision);
    throw err;
  }
}

/**
 * Writes through Raft on this manager. `build` reads the current view and adds its actions;
 * when another writer got in first (a stale meta.version), it runs again on the newer view with a
 * new transaction id. Returns undefined when `build` decided there was nothing to write.
 */
export async function writeStore(
  member: RaftMember,
  build: (view: ReadTx, tx: TransactionBuilder) => void | false,
  options: WriteOptions = {},
): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    if (options.onlyAsLeader !== undefined && !member.isLeader) throw notLeading(options.onlyAsLeader);
    const tx = new TransactionBuilder(randomUUID(), Date.now());
    if (build(member.store.view(), tx) === false || tx.size === 0) return undefined;
    const deadline = Date.now() + WRITE_DEADLINE_MS;
    const outcome = options.onlyAsLeader !== undefined ? await proposeAsLeader(member, tx.encode(), deadline, options.onlyAsLeader) : await proposeOnce(member, tx.encode(), deadline);
    if ('index' in outcome) return outcome.index;
    if ('conflict' in outcome && attempt < MAX_ATTEMPTS) continue;
    if ('refused' in outcome) throw new StoreRefused(outcome.refused);
    throw new Error(`the write kept conflicting with other writers after ${MAX_ATTEMPTS} attempts`);
  }
}
