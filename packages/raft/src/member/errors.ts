// Why a member could not do what was asked. `code` lets callers (and the store service) react
// without parsing text; `leaderHint` names the leader when one is known.
export type RaftMemberErrorCode =
  | 'NOT_LEADER' // this member is not the leader (leaderHint says who is, 0 if unknown)
  | 'LEADER_CHANGED' // leadership was lost while the request was pending; it may or may not have committed
  | 'TIMEOUT' // not applied within the deadline; it may still commit later
  | 'REFUSED' // a membership change the configuration cannot take
  | 'STOPPED' // the member stopped (or crashed) while the request was pending
  | 'NO_SPACE' // the disk under the data dir is full: writes are refused until space returns
  | 'FAILED'; // the write-ahead log failed; the member stopped

export class RaftMemberError extends Error {
  override readonly name = 'RaftMemberError';
  constructor(
    readonly code: RaftMemberErrorCode,
    message: string,
    readonly leaderHint = 0,
  ) {
    super(message);
  }
}

export function isRaftMemberError(e: unknown, code?: RaftMemberErrorCode): e is RaftMemberError {
  return e instanceof RaftMemberError && (code === undefined || e.code === code);
}
