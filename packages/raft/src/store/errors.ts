import type { Kind } from './kinds.js';

export type StoreErrorCode = 'VersionConflict' | 'NameConflict' | 'NotFound' | 'InvalidTransaction' | 'LeaseLost';

/** Why a transaction was refused. A refused transaction changes nothing. */
export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

/** An update or delete carried a meta.version other than the object's current one. */
export class VersionConflict extends StoreError {
  override readonly name = 'VersionConflict';
  readonly code = 'VersionConflict';
  constructor(
    readonly kind: Kind,
    readonly id: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${kind} ${id}: version conflict: write read version ${expected} but the current version is ${actual}`);
  }
}

/** A create reused an id, or a create/update took a name that must be unique for its kind. */
export class NameConflict extends StoreError {
  override readonly name = 'NameConflict';
  readonly code = 'NameConflict';
  constructor(
    readonly kind: Kind,
    readonly id: string,
    readonly field: 'id' | 'name',
    readonly value: string,
    readonly existingId: string,
  ) {
    super(
      field === 'id'
        ? `${kind} ${id}: an object with this id already exists`
        : `${kind} ${id}: name "${value}" is already used by ${kind} ${existingId}`,
    );
  }
}

export class NotFound extends StoreError {
  override readonly name = 'NotFound';
  readonly code = 'NotFound';
  constructor(
    readonly kind: Kind,
    readonly id: string,
  ) {
    super(`${kind} ${id}: not found`);
  }
}

/** The transaction bytes do not decode, or an action lacks an object or id. */
export class InvalidTransaction extends StoreError {
  override readonly name = 'InvalidTransaction';
  readonly code = 'InvalidTransaction';
}

/**
 * A fenced write (issue 16) whose lease epoch is not the lease's current one: its sender lost the
 * lease (another instance took it over, or it was released) and must stop acting.
 */
export class LeaseLost extends StoreError {
  override readonly name = 'LeaseLost';
  readonly code = 'LeaseLost';
  constructor(
    readonly leaseId: string,
    readonly claimedEpoch: number,
    readonly currentEpoch: number,
    readonly currentHolder: string,
  ) {
    super(
      `lease ${leaseId}: write fenced out: it was made under epoch ${claimedEpoch}, but the lease is at epoch ${currentEpoch}` +
        (currentHolder === '' ? ' and released' : ` held by ${currentHolder}`),
    );
  }
}

/** "Events since i" cannot be answered from the ring: the caller must list again. */
export class EventGap extends Error {
  override readonly name = 'EventGap';
  constructor(
    readonly requestedIndex: number,
    readonly oldestAvailableIndex: number,
    readonly currentIndex: number,
  ) {
    super(
      `events after index ${requestedIndex} are no longer kept (oldest available after ${oldestAvailableIndex}, store at ${currentIndex}): re-list`,
    );
  }
}

/** Ends a watch: the subscriber fell behind, was closed, or the store was replaced by a snapshot. */
export class WatchClosed extends Error {
  override readonly name = 'WatchClosed';
  constructor(readonly reason: string) {
    super(`watch closed: ${reason}`);
  }
}

/**
 * A refusal known only by its code and message (recorded for a transaction id, or received over
 * the bus), as the class a caller checks with instanceof. Only `code` and `message` are carried:
 * the other fields (kind, id, versions) are blank.
 */
export function storeErrorFrom(code: StoreErrorCode, message: string): StoreError {
  const e: StoreError =
    code === 'VersionConflict'
      ? new VersionConflict('service', '', 0, 0)
      : code === 'NameConflict'
        ? new NameConflict('service', '', 'id', '', '')
        : code === 'NotFound'
          ? new NotFound('service', '')
          : code === 'LeaseLost'
            ? new LeaseLost('', 0, 0, '')
            : new InvalidTransaction('');
  e.message = message;
  return e;
}
