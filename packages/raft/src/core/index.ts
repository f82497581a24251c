export { RaftNode } from './node.js';
export { Raft } from './raft.js';
export type { RaftConfig } from './config.js';
export type { LogStorage } from './storage.js';
export { MemoryStorage } from './memory-storage.js';
export { bootstrapLog } from './bootstrap.js';
export { RaftError, isRaftError, type RaftErrorCode } from './errors.js';
export { SeededRng, type Rng } from './rng.js';
export { applyConfChangeTo, confChangeProblem } from './conf-change.js';
export {
  NONE,
  isEmptySnapshot,
  snapshotIndex,
  snapshotTerm,
  type Ready,
  type ReadState,
  type RaftRole,
  type SoftState,
  type Status,
} from './types.js';
