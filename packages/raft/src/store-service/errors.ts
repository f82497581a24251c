// How member and store failures travel back to a remote caller as bus error codes.
import { BusErrorCode, BusRequestError, isBusRequestError } from '@flotilla/bus';
import { isRaftMemberError } from '../member/errors.js';
import { storeErrorFrom, type StoreError, type StoreErrorCode } from '../store/errors.js';

export function storeErrorToBus(e: StoreError, subject: string): BusRequestError {
  const code =
    e.code === 'VersionConflict'
      ? BusErrorCode.CONFLICT
      : e.code === 'NameConflict'
        ? BusErrorCode.ALREADY_EXISTS
        : e.code === 'NotFound'
          ? BusErrorCode.NOT_FOUND
          : e.code === 'LeaseLost'
            ? BusErrorCode.LEASE_LOST
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

/** The store's refusal a remote caller received as a bus code, rebuilt as the store's own error; undefined for any other failure. */
export function storeErrorFromBus(err: unknown): StoreError | undefined {
  if (!isBusRequestError(err)) return undefined;
  const code = BUS_TO_STORE.get(err.code);
  return code === undefined ? undefined : storeErrorFrom(code, err.message);
}

const BUS_TO_STORE = new Map<BusErrorCode, StoreErrorCode>([
  [BusErrorCode.CONFLICT, 'VersionConflict'],
  [BusErrorCode.ALREADY_EXISTS, 'NameConflict'],
  [BusErrorCode.NOT_FOUND, 'NotFound'],
  [BusErrorCode.INVALID_ARGUMENT, 'InvalidTransaction'],
  [BusErrorCode.LEASE_LOST, 'LeaseLost'],
]);
