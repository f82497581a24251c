// Disaster recovery on a stopped member's data directory: make it the only voter of its
// configuration while keeping its state (etcd's and swarmkit's --force-new-cluster), and seed an
// empty directory from a store snapshot (restoring a backup). Both write with the WAL's own
// durable calls; the member is started normally afterwards and applies what was written.
import {
  RaftConfChange,
  RaftConfChangeType,
  RaftEntry,
  RaftEntryType,
  RaftHardState,
  RaftSnapshot,
  type RaftConfState,
} from '@flotilla/api';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { applyConfChangeTo } from '../core/conf-change.js';
import { Wal } from '../storage/wal.js';
import { Store } from '../store/store.js';
import type { ReadTx } from '../store/read-tx.js';
import { encodeHardState, walEntries } from './durable-state.js';

export interface ForceNewClusterOptions {
  logger?: Logger;
  /**
   * One more entry to commit after the membership change: a store transaction built from the
   * store as the log leaves it (e.g. to refuse the dropped members from now on). Undefined: none.
   */
  transaction?: (view: ReadTx, removed: readonly number[]) => Uint8Array | undefined;
}

export interface ForceNewClusterResult {
  /** Voters and learners taken out of the configuration. */
  removed: number[];
  /** Index of the last entry written; committed. */
  commitIndex: number;
  /** The new term the written entries carry. */
  term: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Rewrites a stopped member's data directory so that it restarts as the single voter of its
 * group with every committed (and uncommitted) entry it holds: configuration changes that add
 * `selfId` (when it is no voter) and remove every other member are appended after its last entry,
 * followed by `options.transaction`'s entry, and the hard state commits all of it, in a term no
 * other member ever used.
 *
 * Unlike etcd, which drops the entries after its durable commit index, the whole log is kept: a
 * member here persists the commit index lazily (not on every Ready), so entries past the durable
 * commit may well have been committed and acknowledged. Keeping them is what an elected leader
 * does with its log anyway. Running it again on its own result changes nothing more than the term.
 */
export async function forceNewCluster(dataDir: string, selfId: number, options: ForceNewClusterOptions = {}): Promise<ForceNewClusterResult> {
  if (!Number.isInteger(selfId) || selfId <= 0) throw new Error(`force-new-cluster: member id must be a positive integer, got ${selfId}`);
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'raft', memberId: selfId });
  // Checked before opening: the WAL would create an empty log in a directory that has none.
  if (!existsSync(join(dataDir, 'wal')) && !existsSync(join(dataDir, 'snap'))) throw new Error(`force-new-cluster: ${dataDir} holds no Raft state (nothing to keep)`);
  const { wal, hardState, snapshot, entries } = await Wal.open(dataDir, { logger });
  try {
    if (hardState === undefined && snapshot === undefined && entries.length === 0) {
      throw new Error(`force-new-cluster: ${dataDir} holds no Raft state (nothing to keep)`);
    }
    const hs = hardState !== undefined ? RaftHardState.decode(hardState) : { term: 0, vote: 0, commit: 0 };
    let conf: RaftConfState = { voters: [], learners: [] };
    const store = new Store({ logger });
    let lastIndex = 0;
    let lastTerm = 0;
    if (snapshot !== undefined) {
      const snap = RaftSnapshot.decode(snapshot.data);
      conf = snap.metadata?.confState ?? conf;
      if (options.transaction) store.restore(snap.data);
      lastIndex = snapshot.index;
      lastTerm = snapshot.term;
    }
    for (const raw of entries) {
      const e = RaftEntry.decode(raw.data);
      if (e.type === RaftEntryType.RAFT_ENTRY_CONF_CHANGE) {
        // The core's own rule, so the members counted are the ones the core would count.
        conf = applyConfChangeTo(conf, RaftConfChange.decode(e.data));
        if (options.transaction) store.apply(e.index, EMPTY);
      } else if (options.transaction) {
        store.apply(e.index, e.data);
      }
      lastIndex = e.index;
      lastTerm = e.term;
    }
    const term = Math.max(hs.term, lastTerm) + 1;
    const changes: RaftConfChange[] = [];
    // Self first: the configuration must never be left without a voter.
    if (!conf.voters.includes(selfId)) changes.push({ type: RaftConfChangeType.RAFT_CONF_CHANGE_ADD_VOTER, nodeId: selfId, context: EMPTY });
    const removed = [...conf.voters, ...conf.learners].filter((id) => id !== selfId).sort((a, b) => a - b);
    for (const id of removed) changes.push({ type: RaftConfChangeType.RAFT_CONF_CHANGE_REMOVE_VOTER, nodeId: id, context: EMPTY });
    const added: RaftEntry[] = changes.map((cc, i) => ({
      term,
      index: lastIndex + 1 + i,
      type: RaftEntryType.RAFT_ENTRY_CONF_CHANGE,
      data: Buffer.from(RaftConfChange.encode(cc).finish()),
    }));
    if (options.transaction) {
      for (const e of added) store.apply(e.index, EMPTY);
      const tx = options.transaction(store.view(), removed);
      if (tx !== undefined) added.push({ term, index: lastIndex + added.length + 1, type: RaftEntryType.RAFT_ENTRY_NORMAL, data: Buffer.from(tx) });
    }
    const commitIndex = lastIndex + added.length;
    await wal.save(encodeHardState({ term, vote: 0, commit: commitIndex }), walEntries(added));
    logger.warn(
      { keptLastIndex: lastIndex, keptLastTerm: lastTerm, durableCommit: hs.commit, removed, term, commitIndex },
      'forced a new cluster: this member is now the only voter, its log kept',
    );
    return { removed, commitIndex, term };
  } finally {
    await wal.close();
  }
}

export interface SeedSnapshot {
  /** Raft index and term the store snapshot was taken at. */
  index: number;
  term: number;
  /** The configuration at that index. */
  voters: readonly number[];
  /** StoreSnapshot bytes (Store.snapshot()). */
  store: Uint8Array;
}

/**
 * Writes a member's data directory from a store snapshot alone (restoring a backup): the WAL's
 * snapshot at `index` with its configuration, and a hard state that commits it. The directory
 * must hold no Raft state yet. Combine with forceNewCluster to come back as the only voter.
 */
export async function seedFromSnapshot(dataDir: string, seed: SeedSnapshot, logger?: Logger): Promise<void> {
  if (!Number.isInteger(seed.index) || seed.index <= 0 || !Number.isInteger(seed.term) || seed.term <= 0) {
    throw new Error(`seeding ${dataDir}: snapshot index and term must be positive, got ${seed.index}/${seed.term}`);
  }
  Store.fromSnapshot(seed.store); // refuses bytes that are not a store snapshot before anything is written
  const { wal, hardState, snapshot, entries } = await Wal.open(dataDir, logger ? { logger } : {});
  try {
    if (hardState !== undefined || snapshot !== undefined || entries.length > 0) throw new Error(`seeding ${dataDir}: it already holds Raft state`);
    const snap = RaftSnapshot.encode({
      metadata: { index: seed.index, term: seed.term, confState: { voters: [...seed.voters], learners: [] } },
      data: Buffer.from(seed.store),
    }).finish();
    await wal.saveSnapshot({ index: seed.index, term: seed.term, data: snap });
    await wal.save(encodeHardState({ term: seed.term, vote: 0, commit: seed.index }), []);
  } finally {
    await wal.close();
  }
}
