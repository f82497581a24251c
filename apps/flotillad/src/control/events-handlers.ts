import type { ClusterEvent, EventsMessage, EventsRequest, StoreEvent } from '@flotilla/api';
import type { Store } from '@flotilla/raft';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { clusterEventOf, eventFilter, matches } from '../events/cluster-events.js';
import { ServerStream } from '../logs/server-stream.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { invalidArgument } from './control-error.js';

/**
 * `flotilla events`: the store's change stream, read on this manager's own replica. With a
 * since time, the changes the store still keeps (its recent-events ring) are replayed first,
 * with a notice when the ring no longer reaches back that far; then live changes follow until
 * the until time or until the client goes.
 */
export function eventsHandlers(swarm: SwarmController, log: Logger) {
  return {
    events: (call: ServerWritableStream<EventsRequest, EventsMessage>): void => {
      const out = new ServerStream<EventsMessage>(call, 'Events', log);
      streamEvents(swarm, call.request, out).then(
        () => out.end(),
        (err: unknown) => out.fail(err),
      );
    },
  };
}

/** All the events the store still keeps, oldest first, and whether older ones were dropped. */
function keptEvents(store: Store): { events: readonly StoreEvent[]; dropped: boolean } {
  const first = store.eventsSince(0).result;
  if (first?.$case === 'events') return { events: first.value.events, dropped: false };
  if (first?.$case !== 'gap') return { events: [], dropped: false };
  const rest = store.eventsSince(first.value.oldestAvailableIndex).result;
  return { events: rest?.$case === 'events' ? rest.value.events : [], dropped: true };
}

async function streamEvents(swarm: SwarmController, req: EventsRequest, out: ServerStream<EventsMessage>): Promise<void> {
  const filter = eventFilter(req.types, req.actions);
  if (req.sinceUnixMs < 0 || req.untilUnixMs < 0) throw invalidArgument('--since and --until must not be before 1970');
  if (req.untilUnixMs > 0 && req.sinceUnixMs > req.untilUnixMs) throw invalidArgument('--since must not be after --until');
  const store = swarm.requireManager().member.store;
  // Replay and watch in one synchronous step: nothing is missed or shown twice between them.
  const kept = req.sinceUnixMs > 0 ? keptEvents(store) : { events: [], dropped: false };
  const watch = store.watch();
  const untilPassed = (ms: number) => req.untilUnixMs > 0 && ms > req.untilUnixMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    let latestMs = 0;
    let first = true;
    for (const ev of kept.events) {
      const e = clusterEventOf(ev, latestMs);
      if (!e) continue;
      latestMs = Math.max(latestMs, e.timeUnixMs);
      if (first && kept.dropped && e.timeUnixMs > req.sinceUnixMs) {
        await out.write({
          event: undefined,
          notice: `events before ${new Date(e.timeUnixMs).toISOString()} are no longer kept (the store keeps only its most recent changes); showing from there`,
        });
      }
      first = false;
      if (e.timeUnixMs < req.sinceUnixMs) continue;
      if (untilPassed(e.timeUnixMs)) return;
      if (matches(filter, e)) await send(out, e);
    }
    if (req.untilUnixMs > 0) {
      const left = req.untilUnixMs - Date.now();
      if (left < 0) return;
      timer = setTimeout(() => watch.close(), left);
    }
    const gone = () => watch.close();
    out.signal.addEventListener('abort', gone, { once: true });
    try {
      for await (const ev of watch) {
        const e = clusterEventOf(ev, Date.now());
        if (!e) continue;
        if (untilPassed(e.timeUnixMs)) return;
        if (matches(filter, e)) await send(out, e);
      }
    } finally {
      out.signal.removeEventListener('abort', gone);
    }
    if (watch.closeReason) throw new Error(`the event stream fell behind and was closed: ${watch.closeReason}`);
  } finally {
    if (timer) clearTimeout(timer);
    watch.close();
  }
}

function send(out: ServerStream<EventsMessage>, event: ClusterEvent): Promise<void> {
  return out.write({ event, notice: '' });
}

