// One way to make loggers: pino JSON lines that always carry the component and
// the node id. Child loggers add object ids (serviceId, taskId, ...).
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  component: string;
  nodeId?: string;
  level?: LevelWithSilent;
  /** Where lines go; stdout when omitted. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const base = { component: opts.component, nodeId: opts.nodeId ?? '' };
  const options = { level: opts.level ?? 'info', base, timestamp: pino.stdTimeFunctions.isoTime };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing: the default when a caller passes none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
