// nats-server writes lines like
//   [1234] 2026/11/25 19:20:48.467411 [INF] Server is ready
// to stderr. We re-emit them as structured log records.

export type NatsLogLevel = 'debug' | 'trace' | 'info' | 'warn' | 'error' | 'fatal';

export interface NatsLogLine {
  level: NatsLogLevel;
  message: string;
}

const LINE = /^\[\d+\]\s+\S+\s+\S+\s+\[(DBG|TRC|INF|WRN|ERR|FTL)\]\s?(.*)$/;
const LEVELS: Record<string, NatsLogLevel> = {
  DBG: 'debug',
  TRC: 'trace',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
};

export function parseNatsLogLine(line: string): NatsLogLine {
  const m = LINE.exec(line);
  if (!m) return { level: 'info', message: line };
  return { level: LEVELS[m[1] ?? 'INF'] ?? 'info', message: m[2] ?? '' };
}

export const SERVER_READY = 'Server is ready';
export const RELOAD_OK = 'Reloaded server configuration';
export const RELOAD_FAILED = 'Failed to reload server configuration';

/** Splits a byte stream into lines; calls `onLine` for each complete one. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk.toString();
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, i).replace(/\r$/, '');
      rest = rest.slice(i + 1);
      if (line.length > 0) onLine(line);
    }
  };
}
