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

/**
 * What a per-connection line of nats-server is about, when a remote party can make the server
 * write it at will (a refused TLS handshake, a failed authorization, a cap exceeded): such
 * lines are counted and summed up (RefusalLog), not forwarded one for one. `refusal` causes
 * are what `info` counts; an `event` is a "connection closed: <reason>" line (cause
 * `closed-<reason>`, it follows many refusals) or another per-connection error (`error`): summed
 * up too but not counted as refusals, so a refusal is not counted twice.
 */
export type NatsConnectionLine =
  | { kind: 'refusal'; cause: NatsRefusalCause; from: string; detail: string }
  | { kind: 'event'; cause: string; from: string; detail: string };

export type NatsRefusalCause =
  | 'route-not-pinned'
  | 'route-tls-handshake'
  | 'not-pinned'
  | 'tls-handshake'
  | 'auth'
  | 'max-connections'
  | 'max-payload'
  | 'max-control-line'
  | 'parse-error';

// "127.0.0.1:58710 - cid:4 - TLS handshake error: …" (rid: routes, lid: leaf nodes, gid: gateways).
const CONNECTION_LINE = /^(?:\[([^\]]+)\]|([^\s:]+)):\d+ - [a-z]{3}:\d+ - (.*)$/;

const REFUSALS: ReadonlyArray<[RegExp, NatsRefusalCause]> = [
  [/^TLS route handshake error: .*not pinned/i, 'route-not-pinned'],
  [/^TLS route handshake error/i, 'route-tls-handshake'],
  [/^TLS .*handshake error: .*not pinned/i, 'not-pinned'],
  [/^TLS .*handshake error/i, 'tls-handshake'],
  [/authentication error|authorization violation|authentication timeout/i, 'auth'],
  [/maximum connections exceeded/i, 'max-connections'],
  [/maximum (message )?payload/i, 'max-payload'],
  [/maximum control line/i, 'max-control-line'],
  [/parser error/i, 'parse-error'],
];

// nats-server's ClosedState texts, as fixed words: the reason is the server's, but only these
// become map keys (anything else is "other").
const CLOSE_REASONS = new Set([
  'Client Closed', 'Authentication Timeout', 'Authentication Failure', 'TLS Handshake Failure',
  'Slow Consumer (Pending Bytes)', 'Slow Consumer (Write Deadline)', 'Write Error', 'Read Error',
  'Parse Error', 'Stale Connection', 'Protocol Violation', 'Bad Client Protocol Version', 'Incorrect Port',
  'Maximum Account Connections Exceeded', 'Maximum Connections Exceeded', 'Maximum Message Payload Exceeded',
  'Maximum Control Line Exceeded', 'Maximum Subscriptions Exceeded', 'Duplicate Route', 'Route Removed',
  'Server Shutdown', 'Authentication Expired', 'Wrong Gateway', 'Missing Account', 'Credentials Revoked',
  'Message Header Violation', 'Cluster Name Conflict', 'Duplicate Server Name', 'Minimum Version Required',
]);

export function classifyNatsLine(line: NatsLogLine): NatsConnectionLine | undefined {
  const m = CONNECTION_LINE.exec(line.message);
  if (!m) return undefined;
  const from = (m[1] ?? m[2])!;
  const text = m[3]!;
  const closed = /^\w+ connection closed: (.*)$/.exec(text);
  if (closed) {
    const reason = closed[1]!.trim();
    return { kind: 'event', cause: `closed-${CLOSE_REASONS.has(reason) ? slug(reason) : 'other'}`, from, detail: text };
  }
  if (line.level !== 'error' && line.level !== 'warn') return undefined;
  const cause = REFUSALS.find(([re]) => re.test(text))?.[1];
  return cause ? { kind: 'refusal', cause, from, detail: text } : { kind: 'event', cause: 'error', from, detail: text };
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
