// StoreAccess for a manager service in its own process (issue 16): reads and watches from a
// StoreReplica kept up to date over NATS (list, then events, gap -> re-list), writes through the
// store service with exactly-once proposals. The same service code runs on it as on a manager's
// own store (localStoreAccess).
import { StoreTransaction } from '@flotilla/api';
import { BusErrorCode, BusRequestError } from '@flotilla/bus';
import type { StoreAccess } from '../store-access.js';
import { storeErrorFromBus } from './errors.js';
import type { StoreClient, StoreReplica } from './client.js';

export interface ReplicaStoreAccessOptions {
  /** Overall deadline of one proposal, resends of the same bytes included. Default 10 s. */
  proposeDeadlineMs?: number;
}

/**
 * A StoreAccess over `replica` (started by the caller) writing through `client`. A proposal
 * resolves once the replica has applied its index, so view() then shows it; refusals reject with
 * the store's own errors (VersionConflict, LeaseLost, ...), like localStoreAccess. A client with a
 * scope stamps it on every transaction, as the store service requires.
 */
export function replicaStoreAccess(replica: StoreReplica, client: StoreClient, options: ReplicaStoreAccessOptions = {}): StoreAccess {
  const deadlineMs = options.proposeDeadlineMs ?? 10_000;
  return {
    view: () => replica.store.view(),
    watch: (filter = {}, watchOptions = {}) => replica.store.watch(filter, watchOptions),
    async propose(tx) {
      const built = tx instanceof Uint8Array ? StoreTransaction.decode(tx) : tx;
      const scope = client.scope ?? '';
      const bytes = tx instanceof Uint8Array && built.scope === scope ? tx : StoreTransaction.encode({ ...built, scope }).finish();
      const started = Date.now();
      let index: number;
      try {
        index = await client.propose(bytes, deadlineMs);
      } catch (err) {
        throw storeErrorFromBus(err) ?? err;
      }
      if (!(await replica.waitForIndex(index, Math.max(1, deadlineMs - (Date.now() - started))))) {
        throw new BusRequestError(BusErrorCode.DEADLINE_EXCEEDED, `write applied at index ${index} but this process's copy of the store has not reached it yet (at ${replica.store.index})`);
      }
      return index;
    },
  };
}
