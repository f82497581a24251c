// Typed publish/subscribe for one-way messages (store events, assignments,
// Raft traffic). A payload that does not decode, or a handler that throws,
// is reported and dropped; the subscription keeps going.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { decodeMessage, encodeMessage, MalformedMessageError, type MessageType } from './codec.js';
import { DrainingSubscription } from './draining-subscription.js';
import { silentLogger } from './log.js';
import { busRefusalLog } from './request.js';

export function publishMessage<T>(nc: NatsConnection, subject: string, type: MessageType<T>, message: T): void {
  nc.publish(subject, encodeMessage(type, message));
}

export interface MessageContext {
  /** The concrete subject the message came on (useful with wildcards). */
  subject: string;
}

export type MessageHandler<T> = (message: T, ctx: MessageContext) => void | Promise<void>;

export interface SubscribeOptions {
  queue?: string;
  logger?: Logger;
  /** Told about every payload that did not decode (after it is logged). */
  onMalformed?: (err: MalformedMessageError) => void;
  /** Told about every handler failure (after it is logged). */
  onHandlerError?: (err: unknown, subject: string) => void;
  /**
   * Run handlers concurrently. By default each message's handler finishes
   * before the next one's starts, so messages are handled in arrival order.
   */
  concurrent?: boolean;
}

export interface Subscribed {
  readonly subscription: Subscription;
  /** Stops taking messages and waits for the ones being handled. */
  stop(): Promise<void>;
}

export function subscribeMessages<T>(
  nc: NatsConnection,
  subject: string,
  type: MessageType<T>,
  handler: MessageHandler<T>,
  opts: SubscribeOptions = {},
): Subscribed {
  const log = (opts.logger ?? silentLogger()).child({ subject });
  const refusals = busRefusalLog(log, 'messages');
  let last: Promise<void> = Promise.resolve();
  const handle = async (data: Uint8Array, received: string): Promise<void> => {
    let message: T;
    try {
      message = decodeMessage(type, data, received);
    } catch (err) {
      refusals.refuse('malformed', received, err instanceof Error ? err.message : String(err));
      if (err instanceof MalformedMessageError) opts.onMalformed?.(err);
      return;
    }
    try {
      await handler(message, { subject: received });
    } catch (err) {
      log.error({ err, received }, 'message handler failed');
      opts.onHandlerError?.(err, received);
    }
  };
  // The callback never runs before subscribe() returns, so `draining` is set by then.
  const draining: DrainingSubscription = new DrainingSubscription(nc.subscribe(subject, {
    ...(opts.queue ? { queue: opts.queue } : {}),
    callback: (err, msg) => {
      if (err) {
        log.error({ err }, 'subscription failed');
        return;
      }
      const run = (): Promise<void> => handle(msg.data, msg.subject);
      draining.track(opts.concurrent ? run() : (last = last.then(run)));
    },
  }), () => refusals.stop());
  return draining;
}
