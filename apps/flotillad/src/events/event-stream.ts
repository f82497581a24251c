import type { ClusterEvent, EventsMessage, EventsRequest, StoreEvent } from '@flotilla/api';
import type { Store } from '@flotilla/raft';
import { invalidArgument } from '../control/control-error.js';
import { clusterEventOf, eventFilter, matches } from './cluster-events.js';

/** Where the events go: writes wait while the client is slow; the signal says it has gone. */
export interface EventSink {
  write(message: EventsMessage): Promise<void>;
  readonly signal: AbortSignal;
}

/** All the events the store still keeps, oldest first, and whether older ones were dropped. */
function keptEvents(store: Store): { events: readonly StoreEvent[]; dropped: boolean } {
  const first = store.eventsSince(0).result;
  if (first?.$case === 'events') return { events: first.value.events, dropped: false };
  if (first?.$case !== 'gap') return { events: [], dropped: false };
  const rest = store.eventsSince(first.value.oldestAvailableIndex).result;
  return { events: rest?.$case === 'events' ? rest.value.events : [], dropped: true };
}

/**
 * Streams `store`'s changes as cluster events to `out`: with a since time the kept ones first,
 * then live ones, until the until time or until `out` goes. Bad input is refused before anything
 * is sent.
 */
export async function streamStoreEvents(store: Store, req: EventsRequest, out: EventSink, now: () => number = Date.now): Promise<void> {
  const filter = eventFilter(req.types, req.actions);
  if (req.sinceUnixMs < 0 || req.untilUnixMs < 0) throw invalidArgument('--since and --until must not be before 1970');
  if (req.untilUnixMs > 0 && req.sinceUnixMs > req.untilUnixMs) throw invalidArgument('--since must not be after --until');
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
      const left = req.untilUnixMs - now();
      if (left < 0) return;
      timer = setTimeout(() => watch.close(), left);
    }
    const gone = () => watch.close();
    out.signal.addEventListener('abort', gone, { once: true });
    try {
      for await (const ev of watch) {
        const e = clusterEventOf(ev, now());
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

function send(out: EventSink, event: ClusterEvent): Promise<void> {
  return out.write({ event, notice: '' });
}

