import {
  RaftMessageType,
  type RaftConfState,
  type RaftEntry,
  type RaftHardState,
  type RaftMessage,
  type RaftSnapshot,
} from '@flotilla/api';

/** Member id 0 is reserved: it means "no one" (no leader, no vote). */
export const NONE = 0;

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state worth telling the application about; never persisted. */
export interface SoftState {
  lead: number;
  role: RaftRole;
}

/** A linearizable read became possible: reads may be served once `index` is applied. */
export interface ReadState {
  index: number;
  requestCtx: Buffer;
}

/**
 * One batch of work for the application. Contract, in this order:
 *  1. persist `snapshot` (if any), then `entries`, then `hardState` (if any), durably (fsync when `mustSync`);
 *  2. only then send `messages` (a vote or an acknowledgement must never precede its persistence);
 *  3. apply `snapshot` then `committedEntries` to the state machine; call `applyConfChange` for conf-change entries;
 *  4. call `advance()`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: RaftHardState;
  readStates: ReadState[];
  entries: RaftEntry[];
  snapshot?: RaftSnapshot;
  committedEntries: RaftEntry[];
  messages: RaftMessage[];
  mustSync: boolean;
}

export interface Status {
  id: number;
  term: number;
  vote: number;
  commit: number;
  applied: number;
  lead: number;
  role: RaftRole;
  leadTransferee: number;
  /** Per-peer replication progress; only filled on the leader. */
  progress: Map<number, { match: number; next: number; state: string; recentActive: boolean }>;
}

export function emptyHardState(): RaftHardState {
  return { term: 0, vote: 0, commit: 0 };
}

export function emptyConfState(): RaftConfState {
  return { voters: [], learners: [] };
}

export function isEmptyHardState(h: RaftHardState): boolean {
  return h.term === 0 && h.vote === 0 && h.commit === 0;
}

export function hardStateEqual(a: RaftHardState, b: RaftHardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function snapshotIndex(s: RaftSnapshot | undefined): number {
  return s?.metadata?.index ?? 0;
}

export function snapshotTerm(s: RaftSnapshot | undefined): number {
  return s?.metadata?.term ?? 0;
}

export function isEmptySnapshot(s: RaftSnapshot | undefined): boolean {
  return snapshotIndex(s) === 0;
}

/** Messages that only ever originate inside this process; the network must not inject them. */
export function isLocalMessage(t: RaftMessageType): boolean {
  return (
    t === RaftMessageType.RAFT_MSG_HUP ||
    t === RaftMessageType.RAFT_MSG_BEAT ||
    t === RaftMessageType.RAFT_MSG_UNREACHABLE ||
    t === RaftMessageType.RAFT_MSG_SNAP_STATUS ||
    t === RaftMessageType.RAFT_MSG_CHECK_QUORUM
  );
}

export function isResponseMessage(t: RaftMessageType): boolean {
  return (
    t === RaftMessageType.RAFT_MSG_APP_RESP ||
    t === RaftMessageType.RAFT_MSG_VOTE_RESP ||
    t === RaftMessageType.RAFT_MSG_HEARTBEAT_RESP ||
    t === RaftMessageType.RAFT_MSG_UNREACHABLE ||
    t === RaftMessageType.RAFT_MSG_PRE_VOTE_RESP
  );
}

export function voteResponseType(t: RaftMessageType): RaftMessageType {
  if (t === RaftMessageType.RAFT_MSG_VOTE) return RaftMessageType.RAFT_MSG_VOTE_RESP;
  if (t === RaftMessageType.RAFT_MSG_PRE_VOTE) return RaftMessageType.RAFT_MSG_PRE_VOTE_RESP;
  throw new Error(`not a vote message: ${t}`);
}

/** Size in bytes an entry counts for against message and in-flight limits. */
export function entrySize(e: RaftEntry): number {
  return e.data.length + 24;
}

/** A fully defaulted message, so call sites only name the fields that matter. */
export function message(fields: Partial<RaftMessage> & Pick<RaftMessage, 'type'>): RaftMessage {
  return {
    from: 0,
    to: 0,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY,
    ...fields,
  };
}

export const EMPTY: Buffer = Buffer.alloc(0);
