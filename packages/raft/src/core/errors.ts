export type RaftErrorCode =
  | 'compacted' // the requested index is older than the log's first index
  | 'unavailable' // the requested index is past the log's last index
  | 'snapshot-temporarily-unavailable'
  | 'proposal-dropped' // no leader known, leadership transfer in progress, or this node was removed
  | 'conf-change-rejected'
  | 'step-local-message'
  | 'step-peer-not-found'
  | 'invalid-argument'
  | 'ready-not-advanced';

/** Every error the core raises; `code` lets callers react without parsing text. */
export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}

export function isRaftError(e: unknown, code?: RaftErrorCode): e is RaftError {
  return e instanceof RaftError && (code === undefined || e.code === code);
}
