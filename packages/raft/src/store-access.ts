// What a leader-side manager service (allocator, scheduler, orchestrator) needs from the store:
// consistent reads, change events, and writes that resolve once applied. Services depend on this
// interface only, so the same code runs beside the Raft member (localStoreAccess) or, later,
// against a store followed over NATS.
import { StoreTransaction } from '@flotilla/api';
import type { RaftMember } from './member/member.js';
import type { ReadTx } from './store/read-tx.js';
import type { Store, WatchOptions } from './store/store.js';
import type { Subscription, WatchFilter } from './store/watch.js';

export interface StoreAccess {
  /** A consistent read view; calling view() and watch() in one synchronous step is gap-free. */
  view(): ReadTx;
  watch(filter?: WatchFilter, options?: WatchOptions): Subscription;
  /**
   * Proposes a transaction and resolves with the Raft index it was applied at, once view()
   * reflects it. A refused transaction (changed nothing) rejects with the store's StoreError
   * (VersionConflict, NameConflict, NotFound, InvalidTransaction); Raft failures reject with
   * RaftMemberError (NOT_LEADER, LEADER_CHANGED, TIMEOUT, STOPPED, FAILED).
   */
  propose(tx: StoreTransaction | Uint8Array): Promise<number>;
}

/** StoreAccess over the member's own store: reads are local, writes go through its Raft log. */
export function localStoreAccess(member: RaftMember, store: Store = member.store): StoreAccess {
  return {
    view: () => store.view(),
    watch: (filter = {}, options = {}) => store.watch(filter, options),
    async propose(tx) {
      const bytes = tx instanceof Uint8Array ? tx : StoreTransaction.encode(tx).finish();
      const applied = await member.propose(bytes);
      if (applied.result && !applied.result.ok) throw applied.result.error;
      return applied.index;
    },
  };
}
