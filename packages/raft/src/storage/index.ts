export { crc32c } from './crc32c.js';
export { WalCorruptionError, WalNoSpaceError, WalUsageError, isNoSpace } from './errors.js';
export { MAX_HARD_STATE_BYTES } from './hard-state-file.js';
export type { WalEntry } from './segment-format.js';
export type { PreparedSnapshot, WalSnapshot, WalSnapshotPieces } from './snapshot-files.js';
export { Wal, type WalOpenResult, type WalOptions } from './wal.js';
