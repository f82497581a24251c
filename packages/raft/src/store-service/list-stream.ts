// "List at index" as a stream: the encoded store can be far larger than one NATS payload, so
// the answering member sends it as StoreListChunks on the request's reply subject, then an empty
// message that ends the caller's requestMany (sentinel strategy). One member answers (queue
// group), and NATS keeps one publisher's messages in order.
import { StoreListChunk, StoreListRequest, StoreSnapshot } from '@flotilla/api';
import { BusErrorCode, BusRequestError, MalformedMessageError, decodeMessage, type BusConnection } from '@flotilla/bus';
import type { Logger } from 'pino';

type NatsConnection = BusConnection['nc'];
type NatsSubscription = ReturnType<NatsConnection['subscribe']>;

const END = Buffer.alloc(0);
export const LIST_CHUNK_BYTES = 256 * 1024;

export function encodeListChunks(bytes: Uint8Array, chunkBytes = LIST_CHUNK_BYTES): Uint8Array[] {
  const total = Math.max(1, Math.ceil(bytes.length / chunkBytes));
  const out: Uint8Array[] = [];
  for (let seq = 0; seq < total; seq++) {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset + seq * chunkBytes, Math.min(chunkBytes, bytes.length - seq * chunkBytes));
    out.push(StoreListChunk.encode({ seq, total, data }).finish());
  }
  return out;
}

/** Serves list requests on `subject`; `produce` returns the StoreSnapshot bytes or throws (a BusRequestError keeps its code). */
export function serveList(
  nc: NatsConnection,
  subject: string,
  queue: string,
  produce: (timeoutMs: number, subject: string) => Promise<Uint8Array>,
  logger: Logger,
  defaultTimeoutMs: number,
): NatsSubscription {
  return nc.subscribe(subject, {
    queue,
    callback: (err, msg) => {
      if (err) return logger.error({ err, subject }, 'list subscription failed');
      if (!msg.reply) return logger.warn({ subject }, 'dropping a list request without a reply subject');
      void (async () => {
        try {
          decodeMessage(StoreListRequest, msg.data, msg.subject);
          const bytes = await produce(defaultTimeoutMs, msg.subject);
          for (const c of encodeListChunks(bytes)) msg.respond(c);
        } catch (e) {
          const be =
            e instanceof BusRequestError
              ? e
              : new BusRequestError(e instanceof MalformedMessageError ? BusErrorCode.INVALID_ARGUMENT : BusErrorCode.INTERNAL, `listing the store: ${(e as Error).message}`, { subject });
          if (!(e instanceof BusRequestError)) logger.warn({ err: e }, 'list request failed');
          msg.respond(StoreListChunk.encode({ seq: 0, total: 0, data: END, error: be.toWire() }).finish());
        } finally {
          msg.respond(END);
        }
      })();
    },
  });
}

/** Requests a list and puts the pieces back together. */
export async function requestList(nc: NatsConnection, subject: string, timeoutMs: number): Promise<StoreSnapshot> {
  const parts: Uint8Array[] = [];
  let total = -1;
  let received = 0;
  try {
    const replies = await nc.requestMany(subject, StoreListRequest.encode({}).finish(), { strategy: 'sentinel', maxWait: timeoutMs });
    for await (const m of replies) {
      if (m.data.length === 0) break;
      const c = decodeMessage(StoreListChunk, m.data, subject);
      if (c.error) throw BusRequestError.fromWire(c.error, subject);
      total = c.total;
      if (parts[c.seq] === undefined) received++;
      parts[c.seq] = c.data;
    }
  } catch (err) {
    if (err instanceof BusRequestError) throw err;
    const noResponders = /no responders|503/i.test(String((err as Error)?.message ?? err));
    throw new BusRequestError(noResponders ? BusErrorCode.UNAVAILABLE : BusErrorCode.INTERNAL, `list from ${subject}: ${(err as Error).message}`, { subject, cause: err });
  }
  if (total < 1 || received !== total) {
    throw new BusRequestError(BusErrorCode.DEADLINE_EXCEEDED, `list from ${subject}: got ${received} of ${total < 0 ? '?' : total} pieces within ${timeoutMs} ms`, { subject });
  }
  const size = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return decodeMessage(StoreSnapshot, all, subject);
}
