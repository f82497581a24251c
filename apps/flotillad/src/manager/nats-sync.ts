import type { Node } from '@flotilla/api';
import type { ClusterSubjects, NatsServerSupervisor } from '@flotilla/bus';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import type { SwarmFiles, SwarmState } from '../swarm/swarm-state.js';
import { natsRouteKeysFor, natsUsersFor } from './nats-users.js';
import { writeRouteKeys } from './route-keys-file.js';

export interface NatsSync {
  /** Recomputes users and pinned route keys and reloads nats-server if they changed (always with `force`: new TLS files). */
  sync(force?: boolean): Promise<void>;
  stop(): void;
}

/**
 * Keeps the local nats-server's users (nodes the store knows, removed ones left out) and its pinned
 * route keys (current managers, see natsRouteKeysFor) in step with the store: on every node or
 * cluster change and every change of the Raft voters, with a reload (SIGHUP), never a restart.
 * Until the store holds the Cluster object (a restart before the log is replayed) the route keys
 * the server started with stay: an empty store would unpin every other manager, and the store
 * comes back only through those routes. Pinned keys that changed are written to the route keys
 * file for the next start. A watch closed by a snapshot restore is opened again.
 */
export function followNodesForNats(
  member: RaftMember,
  nats: NatsServerSupervisor,
  state: SwarmState,
  subjects: ClusterSubjects,
  files: SwarmFiles,
  /** This server's own key, read at every sync (a renewal changes it): always pinned. */
  ownKey: () => string,
  log: Logger,
): NatsSync {
  let stopped = false;
  let applied = '';
  let written = [...nats.pinnedKeys].sort().join();
  let running: Promise<void> = Promise.resolve();
  let sub = member.store.watch({ kinds: ['node', 'cluster'] });

  const syncNow = async (force: boolean): Promise<void> => {
    if (stopped) return;
    const view = member.store.view();
    const cluster = view.clusters.get(state.clusterId);
    const denied = cluster?.deniedNodeIds ?? [];
    const nodes = [...view.nodes.all()] as Node[];
    const users = natsUsersFor(subjects, nodes, denied, state.nodeId);
    const keys = cluster ? natsRouteKeysFor(nodes, denied, member.status().voters, ownKey()) : [...new Set([...nats.pinnedKeys, ownKey()])].sort();
    const next = JSON.stringify({ users, keys });
    if (next === applied && !force) return;
    try {
      await nats.reload(users, keys);
      applied = next;
    } catch (err) {
      log.error({ err }, 'updating nats-server users and pinned route keys failed');
      return;
    }
    if (keys.join() !== written) {
      log.info({ routeKeys: keys.length }, 'nats-server pinned route keys changed');
      await writeRouteKeys(files, keys).then(
        () => (written = keys.join()),
        (err: unknown) => log.warn({ err }, 'writing the pinned route keys file failed'),
      );
    }
  };
  // One sync at a time, in order; each reads the latest view when it runs.
  const sync = (force = false): Promise<void> => (running = running.then(() => syncNow(force)));

  const offVoters = member.onVotersChange(() => void sync());
  void (async () => {
    while (!stopped) {
      await sync();
      try {
        for await (const _event of sub) await sync();
      } catch {
        // closed by a snapshot restore (or on stop): sync and watch again below
      }
      if (stopped) return;
      // A store that closes every watch at once (its member stopping) must not spin this loop.
      await new Promise((resolve) => setTimeout(resolve, 100));
      sub = member.store.watch({ kinds: ['node', 'cluster'] });
    }
  })();
  return {
    sync,
    stop: () => {
      stopped = true;
      offVoters();
      sub.close();
    },
  };
}
