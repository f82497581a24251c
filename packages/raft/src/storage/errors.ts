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

/**
 * The disk under the log is full (ENOSPC, or EDQUOT for a quota). Nothing was changed: a partly
 * written record was cut back and the log stays usable, so the same call can be retried once space
 * returns. Any other I/O error leaves the on-disk state unknown and the log refuses further calls.
 */
export class WalNoSpaceError extends Error {
  override readonly name = 'WalNoSpaceError';
  constructor(
    readonly dir: string,
    readonly op: string,
    cause: unknown,
  ) {
    super(`no space left on device under ${dir} (${op}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || err instanceof WalNoSpaceError;
}
