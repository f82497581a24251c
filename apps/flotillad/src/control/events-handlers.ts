import type { EventsMessage, EventsRequest } from '@flotilla/api';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { streamStoreEvents } from '../events/event-stream.js';
import { ServerStream } from '../logs/server-stream.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { upToDateManager } from './up-to-date-manager.js';

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
      Promise.resolve()
        .then(async () => streamStoreEvents((await upToDateManager(swarm)).member.store, call.request, out))
        .then(
          () => out.end(),
          (err: unknown) => out.fail(err),
        );
    },
  };
}
