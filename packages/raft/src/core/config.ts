import { RaftError } from './errors.js';
import type { Rng } from './rng.js';
import type { LogStorage } from './storage.js';

export interface RaftConfig {
  /** This member's id; must be a positive integer. */
  id: number;
  storage: LogStorage;
  /** Ticks without hearing from a leader before campaigning; the real timeout is randomized in [electionTick, 2*electionTick). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be smaller than electionTick. */
  heartbeatTick: number;
  /** Randomness for election timeouts; inject a seeded one so runs replay. */
  rng: Rng;
  /** Last index the application has applied (on restart); entries after it are handed out again. */
  applied?: number;
  /** Largest append message in bytes (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Appends in flight per follower while replicating. Default 256. */
  maxInflightMsgs?: number;
  /** Bytes in flight per follower while replicating; 0 means no limit. Default 0. */
  maxInflightBytes?: number;
  /** A leader drops proposals while this many payload bytes are uncommitted; 0 means no limit. Default 0. */
  maxUncommittedEntriesSize?: number;
  /** Most bytes of committed entries handed out by one Ready. Default unlimited. */
  maxCommittedSizePerReady?: number;
  /** A leader that stops hearing from a quorum for an election timeout steps down; also gives leaders a lease against disruptive votes. */
  checkQuorum?: boolean;
  /** Ask for votes without raising the term first, so a rejoining member cannot depose a healthy leader. */
  preVote?: boolean;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
}

export interface ResolvedRaftConfig extends Required<Omit<RaftConfig, 'applied'>> {
  applied: number;
}

export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  const bad = (what: string): never => {
    throw new RaftError('invalid-argument', `raft config for member ${c.id}: ${what}`);
  };
  if (!Number.isInteger(c.id) || c.id <= 0) bad(`id must be a positive integer, got ${c.id}`);
  if (!Number.isInteger(c.heartbeatTick) || c.heartbeatTick <= 0) bad(`heartbeatTick must be a positive integer, got ${c.heartbeatTick}`);
  if (!Number.isInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    bad(`electionTick (${c.electionTick}) must be an integer greater than heartbeatTick (${c.heartbeatTick})`);
  }
  const r: ResolvedRaftConfig = {
    id: c.id,
    storage: c.storage,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    rng: c.rng,
    applied: c.applied ?? 0,
    maxSizePerMsg: c.maxSizePerMsg ?? 1024 * 1024,
    maxInflightMsgs: c.maxInflightMsgs ?? 256,
    maxInflightBytes: c.maxInflightBytes ?? 0,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady ?? Number.MAX_SAFE_INTEGER,
    maxUncommittedEntriesSize: c.maxUncommittedEntriesSize ?? 0,
    checkQuorum: c.checkQuorum ?? false,
    preVote: c.preVote ?? false,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
  };
  if (!Number.isInteger(r.maxInflightMsgs) || r.maxInflightMsgs <= 0) bad(`maxInflightMsgs must be a positive integer, got ${r.maxInflightMsgs}`);
  if (r.maxInflightBytes < 0) bad(`maxInflightBytes must not be negative, got ${r.maxInflightBytes}`);
  if (r.maxUncommittedEntriesSize < 0) bad(`maxUncommittedEntriesSize must not be negative, got ${r.maxUncommittedEntriesSize}`);
  if (r.maxSizePerMsg <= 0) bad(`maxSizePerMsg must be positive, got ${r.maxSizePerMsg}`);
  return r;
}
