/**
 * The data directory holds something the WAL cannot trust. Raised on open instead of
 * guessing: skipping or "repairing" a record could silently lose an acknowledged write.
 */
export class WalCorruptionError extends Error {
  override readonly name = 'WalCorruptionError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`corrupt write-ahead log: ${file} at byte offset ${offset}: ${reason}`);
  }
}

/** A call that would break the log's invariants (gap, overwrite of compacted entries, ...). Nothing was changed. */
export class WalUsageError extends Error {
  override readonly name = 'WalUsageError';
}
