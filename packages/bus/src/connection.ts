// The one way to open a NATS connection: mutual TLS always, reconnect forever
// with jitter (through refusals too), every disconnect and reconnect logged, drain on close.
import { connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { silentLogger } from './log.js';

export interface BusTls {
  /** PEM of the CA that signed the server certificate. */
  ca: string;
  /** PEM of this client's certificate. */
  cert: string;
  /** PEM of this client's private key. */
  key: string;
}

export interface ConnectOptions {
  /** e.g. ["tls://127.0.0.1:4222"]. */
  servers: string[];
  tls: BusTls;
  /** Shown in the server's connection list. */
  name?: string;
  /** Reply inbox prefix; must be a subject this client may subscribe to. */
  inboxPrefix?: string;
  logger?: Logger;
  /** Base wait between reconnect attempts (ms); jitter is added on top. */
  reconnectWaitMs?: number;
  /** Maximum random extra wait per reconnect attempt (ms). */
  reconnectJitterMs?: number;
  /** Keep trying when no server answers the first connect (default: fail fast). */
  waitOnFirstConnect?: boolean;
  /** How long close() lets pending work drain before closing anyway (default 5000). */
  drainTimeoutMs?: number;
  /** PING the server this often (default BUS_PING.intervalMs)... */
  pingIntervalMs?: number;
  /** ...and treat it as gone (reconnect elsewhere) after this many unanswered (default BUS_PING.maxOutstanding). */
  maxPingsOutstanding?: number;
  /** One connection attempt's deadline (default BUS_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
}

/**
 * The client side of dead-peer detection, matching the servers' NATS_LIMITS ping settings: a
 * vanished server is noticed in about interval x (max + 1) — seconds, not nats.js's default
 * 2 minutes x 2 — and the connection moves to another server.
 */
export const BUS_PING = Object.freeze({ intervalMs: 2_000, maxOutstanding: 2 });

/**
 * How long one connection attempt may take (TCP, TLS, the server's INFO). nats.js waits 20 s by
 * default, so a reconnect that picks a frozen server first would hang that long before trying another.
 */
export const BUS_CONNECT_TIMEOUT_MS = 5_000;

export interface BusConnection {
  readonly nc: NatsConnection;
  /** Drains subscriptions and pending publishes, then closes. Safe to call twice. */
  close(): Promise<void>;
}

export class BusConnectError extends Error {
  constructor(servers: string[], cause: unknown) {
    super(
      `connecting to NATS at ${servers.join(', ')}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'BusConnectError';
  }
}

export async function connectBus(opts: ConnectOptions): Promise<BusConnection> {
  const log = opts.logger ?? silentLogger();
  if (opts.servers.length === 0) throw new BusConnectError([], new Error('no servers given'));
  for (const [what, pem] of Object.entries(opts.tls)) {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) {
      throw new BusConnectError(opts.servers, new Error(`tls.${what} is not a PEM string`));
    }
  }
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: opts.servers,
      tls: { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key },
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
      maxReconnectAttempts: -1,
      // nats.js gives up for good after two refusals of our certificate in a row. A refusal is
      // often brief: a manager's nats-server that restarts listens before it has loaded the
      // users from the store, and a worker reconnecting then would be cut off until restarted.
      ignoreAuthErrorAbort: true,
      reconnectTimeWait: opts.reconnectWaitMs ?? 250,
      reconnectJitter: opts.reconnectJitterMs ?? 250,
      reconnectJitterTLS: opts.reconnectJitterMs ?? 500,
      waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
      pingInterval: opts.pingIntervalMs ?? BUS_PING.intervalMs,
      maxPingOut: opts.maxPingsOutstanding ?? BUS_PING.maxOutstanding,
      timeout: opts.connectTimeoutMs ?? BUS_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new BusConnectError(opts.servers, err);
  }
  log.info({ server: nc.getServer(), name: opts.name }, 'connected to NATS');
  const watching = watchStatus(nc, log);
  let closing: Promise<void> | undefined;
  return {
    nc,
    close() {
      closing ??= (async () => {
        if (!nc.isClosed()) {
          const drainTimeoutMs = opts.drainTimeoutMs ?? 5_000;
          let timer: NodeJS.Timeout | undefined;
          // A connection whose server is gone cannot drain: it would wait for
          // a reconnect that may never come. Close it after the timeout.
          const outcome = await Promise.race([
            nc.drain().then(
              () => 'drained' as const,
              (err: unknown) => err,
            ),
            new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), drainTimeoutMs))),
          ]);
          clearTimeout(timer);
          if (outcome !== 'drained') {
            log.warn(
              outcome === 'timeout' ? { drainTimeoutMs } : { err: outcome },
              'could not drain the NATS connection; closing it',
            );
            await nc.close();
          }
        }
        await watching;
      })();
      return closing;
    },
  };
}

async function watchStatus(nc: NatsConnection, log: Logger): Promise<void> {
  // The status iterator ends when the connection closes; nothing waits on it.
  const state: StatusLogState = { connected: true, refusals: 0, lastRefusalLogAt: 0 };
  void (async () => {
    for await (const s of nc.status()) logStatus(log, s, state);
  })().catch((err: unknown) => log.warn({ err }, 'watching NATS status failed'));
  const closed = await nc.closed();
  if (closed) log.error({ err: closed }, 'NATS connection closed with an error');
  else log.info('NATS connection closed');
}

/** A refused client retries every few hundred ms: say so once, then at most every REFUSAL_LOG_MS. */
const REFUSAL_LOG_MS = 60_000;

interface StatusLogState {
  /** Connected since the last disconnect (a failed reconnect attempt is no new disconnect). */
  connected: boolean;
  refusals: number;
  lastRefusalLogAt: number;
}

function logStatus(log: Logger, s: Status, state: StatusLogState): void {
  switch (s.type) {
    case 'disconnect':
      if (state.connected) log.warn({ server: s.server }, 'disconnected from NATS server');
      state.connected = false;
      break;
    case 'reconnecting':
      log.debug('reconnecting to NATS');
      break;
    case 'reconnect':
      state.connected = true;
      log.info({ server: s.server, ...(state.refusals > 0 ? { refusedBefore: state.refusals } : {}) }, 'reconnected to NATS server');
      state.refusals = 0;
      break;
    case 'error':
      if (s.error.name === 'AuthorizationError') {
        state.refusals++;
        if (Date.now() - state.lastRefusalLogAt < REFUSAL_LOG_MS) break;
        state.lastRefusalLogAt = Date.now();
        log.error({ err: s.error, refusals: state.refusals }, 'NATS server refused this node (retrying; logged again in a minute if it goes on)');
        break;
      }
      log.error({ err: s.error }, 'NATS server reported an error');
      break;
    case 'staleConnection':
      log.warn('NATS connection went stale');
      break;
    case 'ldm':
      log.warn({ server: s.server }, 'NATS server entering lame duck mode');
      break;
    case 'slowConsumer':
      log.warn({ subject: s.sub.getSubject(), pending: s.pending }, 'slow NATS consumer');
      break;
    default:
      log.debug({ status: s.type }, 'NATS status');
  }
}
