export type { ApplyOutcome } from './apply.js';
export { EventGap, InvalidTransaction, NameConflict, NotFound, StoreError, VersionConflict, WatchClosed } from './errors.js';
export { KINDS, type Kind, type ObjectByKind, type StoredObject } from './kinds.js';
export { NamedTableReader, NodeTableReader, ReadTx, TableReader, TaskTableReader } from './read-tx.js';
export { Store, type ApplyResult, type StoreOptions, type WatchOptions } from './store.js';
export { TransactionBuilder } from './transaction.js';
export { Subscription, type WatchFilter } from './watch.js';
export { ReplicaDiverged } from './replay.js';
