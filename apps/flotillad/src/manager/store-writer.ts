import { randomUUID } from 'node:crypto';
import { RaftMember, ReadTx, TransactionBuilder, VersionConflict, type StoreError } from '@flotilla/raft';

/** A transaction the store refused (name taken, not found, ...): the caller's input was wrong. */
export class StoreRefused extends Error {
  constructor(override readonly cause: StoreError) {
    super(cause.message);
    this.name = 'StoreRefused';
  }
}

const MAX_ATTEMPTS = 8;

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
    const applied = await member.propose(tx.encode());
    const result = applied.result;
    if (!result || result.ok) return applied.index;
    if (result.error instanceof VersionConflict && attempt < MAX_ATTEMPTS) continue;
    throw new StoreRefused(result.error);
  }
}
