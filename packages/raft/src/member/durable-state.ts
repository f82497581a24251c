// The bridge between the WAL's opaque records and the core's types: what a member writes for
// each Ready, and how it rebuilds MemoryStorage and the Store from the data directory.
import { RaftEntry, RaftHardState, RaftSnapshot } from '@flotilla/api';
import type { Logger } from 'pino';
import { bootstrapLog } from '../core/bootstrap.js';
import { MemoryStorage } from '../core/memory-storage.js';
import type { WalEntry } from '../storage/segment-format.js';
import { Wal, type WalOptions } from '../storage/wal.js';
import { Store, type StoreOptions } from '../store/store.js';

export interface RecoveredState {
  wal: Wal;
  storage: MemoryStorage;
  store: Store;
  /** Index of the snapshot the store was restored from (0: none). */
  snapshotIndex: number;
  /** True when the directory held nothing and the member was bootstrapped or starts empty. */
  fresh: boolean;
}

export function walEntries(entries: readonly RaftEntry[]): WalEntry[] {
  return entries.map((e) => ({ index: e.index, term: e.term, data: RaftEntry.encode(e).finish() }));
}

export function encodeHardState(h: RaftHardState): Uint8Array {
  return RaftHardState.encode(h).finish();
}

/**
 * Opens the WAL in `dataDir` and rebuilds the log and the store from it: newest snapshot, then
 * every durable entry after it, then the hard state. A fresh directory with `bootstrap` voters
 * gets the founding configuration written (durably) before anything else happens.
 */
export async function recover(
  dataDir: string,
  bootstrap: readonly number[] | undefined,
  walOptions: WalOptions,
  storeOptions: StoreOptions,
  logger: Logger,
): Promise<RecoveredState> {
  const { wal, hardState, snapshot, entries } = await Wal.open(dataDir, walOptions);
  const storage = new MemoryStorage();
  const store = new Store(storeOptions);
  let snapshotIndex = 0;
  try {
    if (snapshot !== undefined) {
      const snap = RaftSnapshot.decode(snapshot.data);
      storage.applySnapshot(snap);
      store.restore(snap.data);
      snapshotIndex = snapshot.index;
    }
    storage.append(entries.map((e) => RaftEntry.decode(e.data)));
    if (hardState !== undefined) {
      const hs = RaftHardState.decode(hardState);
      // A snapshot installed from the leader is written before the hard state that follows it; a
      // crash in between leaves commit behind the snapshot. A snapshot holds only committed state.
      if (hs.commit < snapshotIndex) {
        logger.warn({ commit: hs.commit, snapshotIndex }, 'hard state commit is behind the snapshot; raising it to the snapshot index');
        hs.commit = snapshotIndex;
      }
      storage.setHardState(hs);
    }
    const fresh = snapshot === undefined && entries.length === 0 && hardState === undefined;
    if (fresh && bootstrap !== undefined && bootstrap.length > 0) {
      const boot = bootstrapLog([...bootstrap]);
      await wal.save(encodeHardState(boot.hardState), walEntries(boot.entries));
      storage.append(boot.entries);
      storage.setHardState(boot.hardState);
      logger.info({ voters: bootstrap }, 'bootstrapped a new cluster configuration');
    }
    return { wal, storage, store, snapshotIndex, fresh };
  } catch (err) {
    await wal.close().catch(() => undefined);
    throw new Error(`recovering raft state from ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
}
