import type { Logger } from 'pino';
import type { RunningDaemon } from './daemon.js';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Starts the daemon and stops it gracefully on SIGTERM or SIGINT. The handlers are in place
 * before starting, so a signal that arrives mid-start still leads to a clean stop (socket
 * removed, lock released) once start has finished. A second signal exits at once.
 */
export async function runUntilSignalled(start: () => Promise<RunningDaemon>, log: Logger): Promise<void> {
  let received: NodeJS.Signals | undefined;
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

  const daemon = await start();
  if (!received) await new Promise<void>((resolve) => (wake = resolve));
  log.info({ signal: received }, 'stopping');
  await daemon.stop();
}
