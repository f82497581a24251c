// Follows store events for a leader-side service: watch first, then ask for a full pass (which
// reads a view taken after the watch began, so nothing falls between them). A watcher closed for
// lagging is replaced, and the service is asked for a full pass again, since events were dropped.
import type { StoreEvent } from '@flotilla/api';
import type { StoreAccess } from './store-access.js';
import type { Subscription, WatchFilter } from './store/index.js';
import type { Logger } from 'pino';

export interface FollowHandlers {
  onEvent(event: StoreEvent): void;
  /** Everything may have changed: re-read the whole store. */
  onResync(): void;
}

export interface Following {
  stop(): Promise<void>;
}

/**
 * Events a service may have queued before its watcher is closed for lagging. One transaction of
 * the orchestrator can create thousands of tasks, and their events arrive at once; queued events
 * are shared frozen objects, so a deep queue costs little.
 */
export const FOLLOW_MAX_QUEUE = 200_000;

export function followStore(access: StoreAccess, filter: WatchFilter, handlers: FollowHandlers, log: Logger): Following {
  let stopped = false;
  const watch = (): Subscription => access.watch(filter, { maxQueue: FOLLOW_MAX_QUEUE });
  let sub: Subscription = watch();
  handlers.onResync();
  const loop = (async () => {
    while (!stopped) {
      try {
        for await (const ev of sub) handlers.onEvent(ev);
        return; // closed by stop()
      } catch (err) {
        if (stopped) return;
        log.warn({ err }, 'store watch closed; watching again and re-reading everything');
        sub = watch();
        handlers.onResync();
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      sub.close();
      await loop;
    },
  };
}
