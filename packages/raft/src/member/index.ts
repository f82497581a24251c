export { RaftMember, type LeaderChange, type MemberStatus, type RaftMemberOptions, type SnapshotFigures } from './member.js';
export { RaftMemberError, isRaftMemberError, type RaftMemberErrorCode } from './errors.js';
export type { Applied } from './pending.js';
export { SharedReadBarrier } from './shared-read-barrier.js';
export { forceNewCluster, seedFromSnapshot, type ForceNewClusterOptions, type ForceNewClusterResult, type SeedSnapshot } from './disaster-recovery.js';
