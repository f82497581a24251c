import type { Node } from '@flotilla/api';
import type { ClusterSubjects, NatsServerSupervisor } from '@flotilla/bus';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { otherManagerAddrs } from '../swarm/role-change.js';
import type { SwarmFiles, SwarmState } from '../swarm/swarm-state.js';
import { natsRouteKeysFor, natsUsersFor, votingNodeIds } from './nats-users.js';
import type { RouteKeysAnswer } from './route-keys-fetch.js';
import { writeRouteKeys } from './route-keys-file.js';

/** How often the lost-contact watchdog looks; two looks without a Raft leader make it ask the managers' CAs. */
export const ROUTE_RECOVERY_CHECK_MS = 2_000;

/**
 * How long a manager that left the voters (demoted, or left the swarm) stays pinned: it stops its
 * nats-server once it sees its removal (at most ~10 s, see waitUntilNotVoter). Cutting its routes
 * before that makes its server tell its clients (workers) that the other managers are gone
 * (connect_urls), and when it then stops they have nowhere to go.
 */
export const LEFT_VOTER_GRACE_MS = 20_000;

export interface NatsSyncOptions {
  member: RaftMember;
  nats: NatsServerSupervisor;
  state: SwarmState;
  subjects: ClusterSubjects;
  files: SwarmFiles;
  /** This server's own key, read at every sync (a renewal changes it): always pinned. */
  ownKey: () => string;
  /** The other managers' join/CA addresses known before the store is readable (the route keys file). */
  knownManagers: readonly string[];
  /** Keys fetched from a manager's CA at start (see fetchRouteKeys): pinned too until this member is caught up. */
  fetchedKeys?: readonly string[];
  /** Asks these managers' CAs for the route keys of now. */
  askManagers: (addrs: readonly string[]) => Promise<RouteKeysAnswer>;
  /**
   * Told each time a manager asked while there is no Raft leader refuses this node as no manager
   * now: it was demoted (maybe while it was down) and the leader took it out of the voters, so no
   * route opens for it again; its owner turns it into a worker.
   */
  onNotManager?: (answer: Extract<RouteKeysAnswer, { kind: 'not-manager' }>) => void;
  log: Logger;
}

export interface NatsSync {
  /** Recomputes users and pinned route keys and reloads nats-server if they changed (always with `force`: new TLS files). */
  sync(force?: boolean): Promise<void>;
  stop(): void;
}

/**
 * Keeps the local nats-server's users (nodes the store knows, removed ones left out) and its pinned
 * route keys (current managers, see natsRouteKeysFor) in step with the store: on every node or
 * cluster change and every change of the Raft voters, with a reload (SIGHUP), never a restart. A
 * node that left the voters keeps its manager keys pinned for LEFT_VOTER_GRACE_MS more.
 * Until the store holds the Cluster object (a restart before the log is replayed) the route keys
 * the server started with stay: an empty store would unpin every other manager, and the store
 * comes back only through those routes. Keys and the managers' addresses are written to the route
 * keys file for the next start. A watch closed by a snapshot restore is opened again.
 *
 * A manager that has no Raft leader for two looks of the watchdog may be unable to route because
 * the others renewed their keys while it was away (down or cut off): it asks their CAs for the
 * keys of now and pins those as well, until a read barrier shows its store caught up.
 */
export function followNodesForNats(o: NatsSyncOptions): NatsSync {
  const { member, nats, state, log } = o;
  let stopped = false;
  let applied = '';
  let writtenKeys = [...nats.pinnedKeys].sort().join();
  let writtenRecord = '';
  let fetched: string[] = [...(o.fetchedKeys ?? [])];
  let managers = [...o.knownManagers];
  let running: Promise<void> = Promise.resolve();
  let sub = member.store.watch({ kinds: ['node', 'cluster'] });
  /** Nodes seen voting, and until when a node that stopped voting still counts (its grace). */
  let votingBefore = new Set<string>();
  const graceUntil = new Map<string, number>();
  let graceTimer: NodeJS.Timeout | undefined;

  const votingWithGrace = (nodes: Node[]): string[] => {
    const now = Date.now();
    const voting = new Set(votingNodeIds(nodes, member.status().voters));
    for (const id of votingBefore) if (!voting.has(id) && !graceUntil.has(id)) graceUntil.set(id, now + LEFT_VOTER_GRACE_MS);
    for (const [id, until] of graceUntil) if (until <= now || voting.has(id)) graceUntil.delete(id);
    votingBefore = voting;
    clearTimeout(graceTimer);
    const next = Math.min(...graceUntil.values());
    if (Number.isFinite(next)) graceTimer = setTimeout(() => void sync(), next - now + 50);
    return [...voting, ...graceUntil.keys()];
  };

  const syncNow = async (force: boolean): Promise<void> => {
    if (stopped) return;
    const view = member.store.view();
    const cluster = view.clusters.get(state.clusterId);
    const denied = cluster?.deniedNodeIds ?? [];
    const nodes = [...view.nodes.all()] as Node[];
    const users = natsUsersFor(o.subjects, nodes, denied, state.nodeId);
    const base = cluster ? natsRouteKeysFor(nodes, denied, votingWithGrace(nodes), o.ownKey()) : [...nats.pinnedKeys, o.ownKey()];
    const keys = [...new Set([...base, ...fetched])].sort();
    if (cluster) managers = otherManagerAddrs(nodes, state.nodeId);
    const next = JSON.stringify({ users, keys });
    if (next !== applied || force) {
      try {
        await nats.reload(users, keys);
        applied = next;
      } catch (err) {
        log.error({ err }, 'updating nats-server users and pinned route keys failed');
        return;
      }
    }
    const record = JSON.stringify({ keys, managers: [...managers].sort() });
    if (record === writtenRecord) return;
    try {
      await writeRouteKeys(o.files, { keys, managers });
    } catch (err) {
      log.warn({ err }, 'writing the pinned route keys file failed');
      return;
    }
    writtenRecord = record;
    if (keys.join() !== writtenKeys) log.info({ routeKeys: keys.length }, 'nats-server pinned route keys changed');
    writtenKeys = keys.join();
  };
  // One sync at a time, in order; each reads the latest view when it runs.
  const sync = (force = false): Promise<void> => (running = running.then(() => syncNow(force)));

  let leaderless = 0;
  let recovering = false;
  let unanswered = false;
  const watchdog = setInterval(() => {
    if (stopped || recovering) return;
    leaderless = member.leaderId === 0 ? leaderless + 1 : 0;
    if (leaderless >= 2) {
      recovering = true;
      void o
        .askManagers(managers)
        .then(async (answer) => {
          if (answer.kind === 'not-manager') {
            o.onNotManager?.(answer);
            return;
          }
          const keys = answer.kind === 'keys' ? answer.keys : undefined;
          if (!keys && !unanswered) log.warn({ managers }, "no Raft leader, and no manager answered for the route keys; asking again every few seconds");
          unanswered = !keys;
          if (keys && keys.some((k) => !fetched.includes(k))) {
            fetched = [...new Set([...fetched, ...keys])];
            await sync();
          }
        })
        .finally(() => {
          recovering = false;
          leaderless = 0;
        });
    } else if (leaderless === 0 && fetched.length > 0) {
      // A leader again: once a read barrier shows this store caught up, its own keys are enough.
      recovering = true;
      void member
        .readBarrier(3_000)
        .then(async () => {
          fetched = [];
          await sync();
        })
        .catch(() => undefined)
        .finally(() => {
          recovering = false;
        });
    }
  }, ROUTE_RECOVERY_CHECK_MS);

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
      clearInterval(watchdog);
      clearTimeout(graceTimer);
      offVoters();
      sub.close();
    },
  };
}
