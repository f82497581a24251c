import type { Logger } from 'pino';
import type { RunningDaemon } from './daemon.js';
import { onDaemonFatal, type DaemonFatal } from './fatal.js';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** After a fatal error, how long stopping the rest may take before the process exits anyway. */
const FATAL_STOP_MS = 10_000;

/**
 * Starts the daemon and stops it gracefully on SIGTERM or SIGINT. The handlers are in place
 * before starting, so a signal that arrives mid-start still leads to a clean stop (socket
 * removed, lock released) once start has finished. A second signal exits at once.
 *
 * A fatal error (failDaemon: the Raft member failed) is logged in one line, the rest is stopped
 * (bounded in time) and the returned promise rejects with it, so main exits non-zero.
 */
export async function runUntilSignalled(start: () => Promise<Pick<RunningDaemon, 'stop'>>, log: Logger): Promise<void> {
  let received: NodeJS.Signals | undefined;
  let fatal: DaemonFatal | undefined;
  let wake = () => {};
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      log.warn({ signal }, 'second signal while stopping: exiting now');
      process.exit(130);
    }
    received = signal;
    wake();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const offFatal = onDaemonFatal((f) => {
    fatal = f;
    log.fatal({ error: f.cause.message, what: f.what }, `${f.message}; exiting so the supervisor restarts flotillad`);
    wake();
  });

  try {
    const daemon = await start();
    if (!received && !fatal) await new Promise<void>((resolve) => (wake = resolve));
    if (fatal) {
      await Promise.race([daemon.stop(), new Promise((r) => setTimeout(r, FATAL_STOP_MS).unref())]);
      throw fatal;
    }
    log.info({ signal: received }, 'stopping');
    await daemon.stop();
  } finally {
    offFatal();
  }
}
