// How member and store failures travel back to a remote caller as bus error codes.
import { BusErrorCode, BusRequestError } from '@flotilla/bus';
import { isRaftMemberError } from '../member/errors.js';
import type { StoreError } from '../store/errors.js';

export function storeErrorToBus(e: StoreError, subject: string): BusRequestError {
  const code =
    e.code === 'VersionConflict'
      ? BusErrorCode.CONFLICT
      : e.code === 'NameConflict'
        ? BusErrorCode.ALREADY_EXISTS
        : e.code === 'NotFound'
          ? BusErrorCode.NOT_FOUND
          : BusErrorCode.INVALID_ARGUMENT;
  return new BusRequestError(code, e.message, { subject });
}

export function memberErrorToBus(err: unknown, subject: string): unknown {
  if (!isRaftMemberError(err)) return err;
  const hint = err.leaderHint > 0 ? { leaderHint: String(err.leaderHint) } : {};
  switch (err.code) {
    case 'NOT_LEADER':
      return new BusRequestError(BusErrorCode.NOT_LEADER, err.message, { subject, ...hint });
    case 'TIMEOUT':
      return new BusRequestError(BusErrorCode.DEADLINE_EXCEEDED, err.message, { subject, ...hint });
    case 'REFUSED':
      return new BusRequestError(BusErrorCode.INVALID_ARGUMENT, err.message, { subject });
    default:
      // LEADER_CHANGED, STOPPED, FAILED, NO_SPACE: this member cannot settle it now; a caller
      // resending the same transaction (same id) elsewhere or later cannot apply it twice.
      return new BusRequestError(BusErrorCode.UNAVAILABLE, err.message, { subject, ...hint });
  }
}
