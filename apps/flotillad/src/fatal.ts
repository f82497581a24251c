// Errors after which this daemon must not go on (a Raft member whose WAL or store failed would
// serve frozen reads and fail every write): it logs one line and exits non-zero, and its
// supervisor (systemd, the container runtime) starts it again, recovering from the data dir or
// refusing to start with the reason.

/** The daemon stopped because of `cause`; main exits non-zero without a second report. */
export class DaemonFatal extends Error {
  constructor(
    readonly what: string,
    override readonly cause: Error,
  ) {
    super(`${what}: ${cause.message}`, { cause });
    this.name = 'DaemonFatal';
  }
}

type Handler = (fatal: DaemonFatal) => void;
const handlers = new Set<Handler>();
let reported: DaemonFatal | undefined;

/** Reports an unrecoverable error; the first one wins. */
export function failDaemon(what: string, cause: Error): void {
  if (reported) return;
  reported = new DaemonFatal(what, cause);
  for (const h of [...handlers]) h(reported);
}

/** Calls `handler` on the first fatal error (at once if there was one already). */
export function onDaemonFatal(handler: Handler): () => void {
  if (reported) handler(reported);
  else handlers.add(handler);
  return () => handlers.delete(handler);
}
