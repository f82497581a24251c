import type { RaftConfState, RaftEntry, RaftHardState, RaftSnapshot } from '@flotilla/api';

/**
 * What the core reads of the durable log. Everything here has been persisted by the
 * application (from earlier Ready batches); the core never writes through this interface.
 * Errors: `compacted` for an index below firstIndex()-1, `unavailable` past lastIndex().
 */
export interface LogStorage {
  initialState(): { hardState: RaftHardState; confState: RaftConfState };
  /** Entries in [lo, hi), cut to maxSize bytes but always at least one entry when any exists. */
  entries(lo: number, hi: number, maxSize: number): RaftEntry[];
  /** Term of entry i; valid for firstIndex()-1 (the snapshot's term) through lastIndex(). */
  term(i: number): number;
  lastIndex(): number;
  firstIndex(): number;
  /** The most recent snapshot; `snapshot-temporarily-unavailable` if being produced. */
  snapshot(): RaftSnapshot;
}
