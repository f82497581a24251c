// Typed request/reply over NATS with deadlines. A failed request comes back as
// a BusError payload (marked by a header) and is rethrown as BusRequestError;
// failures of the bus itself are mapped to codes too, so callers handle one
// error type.
import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { BusError } from '@flotilla/api';
import type { Logger } from 'pino';
import { decodeMessage, encodeMessage, MalformedMessageError, messageTypeName, type MessageType } from './codec.js';
import { BusErrorCode, BusRequestError } from './errors.js';
import { DrainingSubscription } from './draining-subscription.js';
import { silentLogger } from './log.js';
import { RefusalLog } from './refusal-log.js';

/** Header marking a reply whose payload is a BusError instead of the response type. */
export const REPLY_KIND_HEADER = 'flt-reply';
/** Header carrying the caller's timeout, so a handler knows how long the caller waits. */
export const TIMEOUT_HEADER = 'flt-timeout-ms';

export interface RequestOptions {
  timeoutMs: number;
}

export async function request<Req, Res>(
  nc: NatsConnection,
  subject: string,
  reqType: MessageType<Req>,
  req: Req,
  resType: MessageType<Res>,
  opts: RequestOptions,
): Promise<Res> {
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
    throw new BusRequestError(
      BusErrorCode.INVALID_ARGUMENT,
      `request to ${subject}: timeoutMs must be a positive number, got ${opts.timeoutMs}`,
      { subject },
    );
  }
  let payload: Uint8Array;
  try {
    payload = encodeMessage(reqType, req);
  } catch (err) {
    throw new BusRequestError(
      BusErrorCode.INVALID_ARGUMENT,
      `request to ${subject}: cannot encode the ${messageTypeName(reqType as MessageType<unknown>)}: ${err instanceof Error ? err.message : String(err)}`,
      { subject, cause: err },
    );
  }
  const h = headers();
  h.set(TIMEOUT_HEADER, String(Math.ceil(opts.timeoutMs)));
  let reply: Msg;
  try {
    reply = await nc.request(subject, payload, { timeout: opts.timeoutMs, headers: h });
  } catch (err) {
    throw requestFailure(err, subject, opts.timeoutMs);
  }
  if (reply.headers?.get(REPLY_KIND_HEADER) === 'error') {
    throw BusRequestError.fromWire(decodeMessage(BusError, reply.data, subject), subject);
  }
  return decodeMessage(resType, reply.data, subject);
}

/** Maps what the NATS client threw to the bus's error codes. */
function requestFailure(err: unknown, subject: string, timeoutMs: number): BusRequestError {
  const names = causeNames(err);
  const reason = err instanceof Error ? err.message : String(err);
  if (names.has('NoRespondersError') || (err as { isNoResponders?: () => boolean }).isNoResponders?.()) {
    return new BusRequestError(BusErrorCode.UNAVAILABLE, `no responders for ${subject}`, { subject, cause: err });
  }
  if (names.has('TimeoutError')) {
    return new BusRequestError(
      BusErrorCode.DEADLINE_EXCEEDED,
      `request to ${subject} got no reply within its deadline of ${timeoutMs} ms`,
      { subject, cause: err },
    );
  }
  if (names.has('PermissionViolationError')) {
    return new BusRequestError(BusErrorCode.PERMISSION_DENIED, `request to ${subject}: ${reason}`, {
      subject,
      cause: err,
    });
  }
  if (names.has('ClosedConnectionError') || names.has('DrainingConnectionError')) {
    return new BusRequestError(BusErrorCode.UNAVAILABLE, `request to ${subject}: ${reason}`, { subject, cause: err });
  }
  return new BusRequestError(BusErrorCode.INTERNAL, `request to ${subject} failed: ${reason}`, {
    subject,
    cause: err,
  });
}

function causeNames(err: unknown): Set<string> {
  const names = new Set<string>();
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    names.add(e.name);
    names.add(e.constructor.name);
  }
  return names;
}

export interface RequestContext {
  subject: string;
  /** Local clock time (ms) after which the caller has given up, when it said. */
  deadline?: number;
}

export type Handler<Req, Res> = (req: Req, ctx: RequestContext) => Promise<Res> | Res;

export interface ServeOptions {
  /** Queue group: one member of the group answers each request. */
  queue?: string;
  logger?: Logger;
}

export interface Served {
  readonly subscription: Subscription;
  /** Stops taking requests and waits for the ones being handled. */
  stop(): Promise<void>;
}

export function serve<Req, Res>(
  nc: NatsConnection,
  subject: string,
  reqType: MessageType<Req>,
  resType: MessageType<Res>,
  handler: Handler<Req, Res>,
  opts: ServeOptions = {},
): Served {
  const log = (opts.logger ?? silentLogger()).child({ subject });
  // Any connection allowed to publish here can send junk as fast as it likes: summed up, not a line each.
  const refusals = busRefusalLog(log, 'requests');
  // The callback never runs before subscribe() returns, so `draining` is set by then.
  const draining: DrainingSubscription = new DrainingSubscription(nc.subscribe(subject, {
    ...(opts.queue ? { queue: opts.queue } : {}),
    callback: (err, msg) => {
      if (err) {
        log.error({ err }, 'subscription failed');
        return;
      }
      draining.track(answer(msg, reqType, resType, handler, log, refusals));
    },
  }), () => refusals.stop());
  return draining;
}

async function answer<Req, Res>(
  msg: Msg,
  reqType: MessageType<Req>,
  resType: MessageType<Res>,
  handler: Handler<Req, Res>,
  log: Logger,
  refusals: RefusalLog,
): Promise<void> {
  if (!msg.reply) {
    refusals.refuse('no-reply-subject', msg.subject);
    return;
  }
  const receivedAt = Date.now();
  let payload: Uint8Array;
  try {
    const req = decodeMessage(reqType, msg.data, msg.subject);
    const timeout = Number(msg.headers?.get(TIMEOUT_HEADER));
    const ctx: RequestContext = { subject: msg.subject };
    if (Number.isFinite(timeout) && timeout > 0) ctx.deadline = receivedAt + timeout;
    const res = await handler(req, ctx);
    payload = encodeMessage(resType, res);
  } catch (err) {
    replyError(msg, toBusError(err, msg.subject, log, refusals), log);
    return;
  }
  if (!msg.respond(payload)) log.warn({ received: msg.subject }, 'could not send the reply');
}

/** Where serve() and subscribeMessages() sum up what they drop unread (RefusalLog). */
export function busRefusalLog(log: Logger, noun: 'requests' | 'messages'): RefusalLog {
  return new RefusalLog({ log, what: 'bus', noun, sources: ['subject', 'subjects'] });
}

function toBusError(err: unknown, subject: string, log: Logger, refusals: RefusalLog): BusRequestError {
  if (err instanceof BusRequestError) return err;
  if (err instanceof MalformedMessageError) {
    refusals.refuse('malformed', subject, err.message);
    return new BusRequestError(BusErrorCode.INVALID_ARGUMENT, err.message, { subject });
  }
  log.error({ err, received: subject }, 'request handler failed');
  const reason = err instanceof Error ? err.message : String(err);
  return new BusRequestError(BusErrorCode.INTERNAL, `handling ${subject}: ${reason}`, { subject });
}

function replyError(msg: Msg, err: BusRequestError, log: Logger): void {
  const h = headers();
  h.set(REPLY_KIND_HEADER, 'error');
  if (!msg.respond(BusError.encode(err.toWire()).finish(), { headers: h })) {
    log.warn({ received: msg.subject, code: err.code }, 'could not send the error reply');
  }
}
