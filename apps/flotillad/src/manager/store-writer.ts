import { randomUUID } from 'node:crypto';
import { BusErrorCode, isBusRequestError } from '@flotilla/bus';
import { InvalidTransaction, NameConflict, NotFound, RaftMember, RaftMemberError, ReadTx, StoreClient, TransactionBuilder, VersionConflict, type StoreError } from '@flotilla/raft';

/** A transaction the store refused (name taken, not found, ...): the caller's input was wrong. */
export class StoreRefused extends Error {
  constructor(override readonly cause: StoreError) {
    super(cause.message);
    this.name = 'StoreRefused';
  }
}

const MAX_ATTEMPTS = 8;
const FORWARD_DEADLINE_MS = 10_000;

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

function withMessage(e: StoreError, message: string): StoreError {
  e.message = message;
  return e;
}

async function proposeHere(member: RaftMember, bytes: Uint8Array): Promise<Outcome> {
  const applied = await member.propose(bytes);
  const result = applied.result;
  if (!result || result.ok) return { index: applied.index };
  if (result.error instanceof VersionConflict) return { conflict: true };
  return { refused: result.error };
}

async function proposeThroughLeader(member: RaftMember, client: StoreClient, bytes: Uint8Array): Promise<Outcome> {
  let index: number;
  try {
    index = await client.propose(bytes, FORWARD_DEADLINE_MS);
  } catch (err) {
    if (isBusRequestError(err, BusErrorCode.CONFLICT)) return { conflict: true };
    // The leader's refusal arrives as a bus code; rebuilt as the store's own error so callers map it alike.
    if (isBusRequestError(err, BusErrorCode.ALREADY_EXISTS)) return { refused: withMessage(new NameConflict('service', '', 'name', '', ''), err.message) };
    if (isBusRequestError(err, BusErrorCode.NOT_FOUND)) return { refused: withMessage(new NotFound('service', ''), err.message) };
    if (isBusRequestError(err, BusErrorCode.INVALID_ARGUMENT)) return { refused: withMessage(new InvalidTransaction(''), err.message) };
    if (isBusRequestError(err, BusErrorCode.UNAVAILABLE) || isBusRequestError(err, BusErrorCode.NOT_LEADER)) {
      throw new RaftMemberError('NOT_LEADER', `no Raft leader took the write within ${FORWARD_DEADLINE_MS / 1000}s: ${(err as Error).message}`);
    }
    throw err;
  }
  // Our own reads must see what we just wrote before the caller answers.
  if (!(await member.waitForApplied(index, FORWARD_DEADLINE_MS))) {
    throw new RaftMemberError('TIMEOUT', `write applied by the leader at index ${index} but not yet here`);
  }
  return { index };
}

/**
 * Writes through Raft on this manager. `build` reads the current view and adds its actions;
 * when another writer got in first (a stale meta.version), it runs again on the newer view.
 * Returns undefined when `build` decided there was nothing to write.
 */
export async function writeStore(
  member: RaftMember,
  build: (view: ReadTx, tx: TransactionBuilder) => void | false,
): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    const tx = new TransactionBuilder(randomUUID(), Date.now());
    if (build(member.store.view(), tx) === false || tx.size === 0) return undefined;
    const bytes = tx.encode();
    const forwarder = forwarders.get(member);
    const outcome = !member.isLeader && forwarder ? await proposeThroughLeader(member, forwarder, bytes) : await proposeHere(member, bytes);
    if ('index' in outcome) return outcome.index;
    if ('conflict' in outcome && attempt < MAX_ATTEMPTS) continue;
    if ('refused' in outcome) throw new StoreRefused(outcome.refused);
    throw new Error(`the write kept conflicting with other writers after ${MAX_ATTEMPTS} attempts`);
  }
}
