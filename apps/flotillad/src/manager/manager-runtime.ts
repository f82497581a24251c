import { readFile } from 'node:fs/promises';
import { NodeRole, type Cluster, type GossipInfo, type JoinTokens, type ManagerServicesInfo, type Node, type RefusalCount } from '@flotilla/api';
import { asCertRole, isManagerNow } from './nats-users.js';
import type { Agent } from '@flotilla/agent';
import { clusterSubjects, connectBus, NatsServerSupervisor, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import { certificateKeySha256, serviceCaPortService, startNodeCaServer, type CertRole, type NodeCaServerOptions, type NodeCredentials, type RunningNodeCaServer, type SecretsKey } from '@flotilla/ca';
import { Dispatcher, TaskPluginServer, TaskSecretServer } from '@flotilla/dispatcher';
import { StoreTaskSecretSource } from './task-secret-source.js';
import { RaftMember, StoreClient, StoreService } from '@flotilla/raft';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { startNodeLb } from '../node-lb/node-lb.js';
import { startLocalAgent } from '../swarm/local-agent.js';
import { managerPlugins, type ManagerPlugins } from '../plugins/node-plugins.js';
import { StoreTaskPluginSource } from '../plugins/task-plugin-source.js';
import type { SwarmFiles, SwarmState } from '../swarm/swarm-state.js';
import { followManagerVoters } from './manager-voters.js';
import { StoreDispatcherBackend } from './dispatcher-backend.js';
import { StoreNetworkStateSource } from './network-state-source.js';
import { startInProcessServices, type InProcessServices } from '../services/in-process.js';
import { gatherServiceStatus, servePresence } from '../services/presence.js';
import { PROCESS_SERVICES } from '../services/service-selection.js';
import { natsRouteKeysFor, natsUsersFor, votingNodeIds } from './nats-users.js';
import { followNodesForNats } from './nats-sync.js';
import { readRouteKeys } from './route-keys-file.js';
import { fetchRouteKeys } from './route-keys-fetch.js';
import { killStaleNatsServer } from './stale-nats.js';
import { createJoinedNode, withTlsInfo } from './node-objects.js';
import { recordRenewedNode } from './node-cert-records.js';
import { noticePromotions } from './role-notices.js';
import { forwardWritesOnFollower, writeStore } from './store-writer.js';
import { GossipService } from '../gossip/gossip-service.js';
import { reloadBusTls } from '../swarm/bus-tls.js';
import { finishInterruptedRenewal, renewAfterMsFrom, startNodeCertRenewal } from '../swarm/cert-renewal.js';
import { otherManagerAddrs } from '../swarm/role-change.js';
import { NodeGossip } from '../gossip/node-gossip.js';
import { recordCertIssuer, startRootCaFiles, withCertIssuer } from './root-ca-files.js';
import type { RootCaSource } from './root-ca-source.js';
import { driveRootRotation } from './rotation-driver.js';
import { followRotationNotices } from '../swarm/rotation-notices.js';
import { gossipInfo, startNodeNetworkDb } from '../networkdb/node-networkdb.js';
import { failDaemon } from '../fatal.js';
import type { ManagerRefusals } from '../swarm/swarm-info.js';

/** Everything a manager node runs, started from the swarm state in its data dir. */
export interface ManagerRuntime {
  readonly state: SwarmState;
  readonly member: RaftMember;
  readonly subjects: ClusterSubjects;
  readonly caServer: RunningNodeCaServer;
  readonly natsUrl: string;
  /** This manager's NATS connection (all of its cluster's subjects), e.g. to ask agents for logs. */
  readonly bus: BusConnection;
  cluster(): Cluster | undefined;
  /** Seals and opens secret values; derived from the root CA key, so only managers have it. */
  readonly secretsKey: SecretsKey;
  /** The root CA as the store holds it now, and a root CA rotation under way. */
  readonly roots: RootCaSource;
  /** host:port joining nodes dial. */
  readonly managerAddr: string;
  /** `info`'s gossip figures; undefined until the gossip member runs. */
  gossipInfo(): GossipInfo | undefined;
  /** Plugins this manager runs (issue 17): the authz plugins it enforces, volume drivers. */
  readonly plugins: ManagerPlugins;
  /** What this manager's nats-server and its port 2377 refused, by cause. */
  refused(): ManagerRefusals;
  /** What this node's embedded DNS servers refused, by cause (empty without a load balancer). */
  dnsRefused(): RefusalCount[];
  /**
   * Calls `listener` each time a manager this one asks while it has no Raft leader refuses it as no
   * manager now (demoted while down or cut off, and out of the voters): it cannot route or vote any
   * more and must become a worker. Returns an unsubscribe.
   */
  onNoLongerManager(listener: () => void): () => void;
  /** `info` (issue 16): the manager service instances that answer now, wherever they run, and the leases in the store. */
  managerServices(): Promise<ManagerServicesInfo>;
  stop(): Promise<void>;
}

/**
 * A manager restarting after it was demoted: the other managers' CAs refuse it as no manager now.
 * Nothing was started; its owner becomes a worker instead (or starts anyway with `evenIfDemoted`).
 */
export class NoLongerManagerError extends Error {
  constructor(
    readonly nodeId: string,
    /** The other managers' join/CA addresses this node knew (from its route keys file). */
    readonly managers: readonly string[],
    reason: string,
  ) {
    super(`node ${nodeId} is no manager of its swarm any more: ${reason}`);
    this.name = 'NoLongerManagerError';
  }
}

/** Services served on the manager's port (2377) next to NodeCa, over the same mutual TLS: the control API. */
export type ManagerPortServices = NonNullable<NodeCaServerOptions['services']>;

/** Run once by `swarm init` on the fresh single-voter group, before anything else reads the store. */
export type InitializeStore = (member: RaftMember) => Promise<void>;

/**
 * How the Raft member starts: `init` founds a single-voter group and writes the first objects;
 * `join` starts empty and waits to be added as a voter by the leader and to catch up;
 * `restart` comes back from the data dir (refused with NoLongerManagerError when the other managers
 * say it was demoted meanwhile, unless `evenIfDemoted`).
 */
export type ManagerStart = { kind: 'init'; initialize: InitializeStore } | { kind: 'join' } | { kind: 'restart'; evenIfDemoted?: boolean };

const LEADER_WAIT_MS = 15_000;
/** Operators (and tests) may take Raft snapshots more often than every 10 000 entries, like etcd's --snapshot-count. */
const SNAPSHOT_EVERY_ENV = 'FLOTILLA_RAFT_SNAPSHOT_EVERY';

function snapshotEveryFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[SNAPSHOT_EVERY_ENV];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${SNAPSHOT_EVERY_ENV}=${raw}: expected a positive whole number of entries`);
  return n;
}
/** A joining manager waits this long to be added as a voter and catch up on the store. */
const JOIN_CATCH_UP_MS = 30_000;

export async function startManagerRuntime(
  config: DaemonConfig,
  files: SwarmFiles,
  state: SwarmState,
  log: Logger,
  start: ManagerStart = { kind: 'restart' },
  portServices: ManagerPortServices = [],
): Promise<ManagerRuntime> {
  const log0 = log.child({ nodeId: state.nodeId, clusterId: state.clusterId });
  const subjects = clusterSubjects(state.clusterId);
  const renewAfterMs = renewAfterMsFrom(process.env);
  const snapshotEvery = snapshotEveryFrom(process.env);
  await finishInterruptedRenewal(files, log0);
  const pem = {
    certPem: await readFile(files.nodeCert, 'utf8'),
    keyPem: await readFile(files.nodeKey, 'utf8'),
    caCertPem: await readFile(files.caCert, 'utf8'),
  };
  const stops: Array<() => Promise<void>> = [];
  const notManagerListeners = new Set<() => void>();
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      await stop().catch((err: unknown) => log0.warn({ err }, 'stopping a manager component failed'));
    }
  };
  try {
    // Routes only from current managers' keys (issue 13). Until the store is readable: the keys
    // pinned last (or handed over by the join/promotion answer), and always this node's own.
    let ownKey = certificateKeySha256(pem.certPem);
    let ownCredentials: NodeCredentials = { nodeId: state.nodeId, role: NodeRole.NODE_ROLE_MANAGER, ...pem };
    const known = await readRouteKeys(files, log0);
    // A restart: the others may have renewed their keys meanwhile; ask them (over 2377) first.
    const answer = start.kind === 'restart' ? await fetchRouteKeys(known.managers, ownCredentials, log0) : undefined;
    if (answer?.kind === 'not-manager') {
      if (start.kind === 'restart' && !start.evenIfDemoted) throw new NoLongerManagerError(state.nodeId, known.managers, `${answer.from}: ${answer.reason}`);
      log0.warn({ from: answer.from, reason: answer.reason }, 'the other managers say this node was demoted; starting as a manager anyway until it can become a worker');
    }
    const fetchedKeys = answer?.kind === 'keys' ? answer.keys : undefined;
    if (start.kind === 'restart' && !fetchedKeys && known.managers.length > 0) {
      log0.warn({ managers: known.managers }, 'no other manager answered for the route keys; pinning the keys pinned last');
    }
    const startKeys = [...new Set([ownKey, ...(fetchedKeys ?? known.keys)])].sort();
    const nats = new NatsServerSupervisor({
      configDir: files.natsDir,
      serverName: state.nodeId,
      host: state.advertiseHost,
      port: state.natsPort,
      ...(config.natsMonitorAddr ? { monitor: config.natsMonitorAddr } : {}),
      cluster: { name: `flt-${state.clusterId}`, host: state.advertiseHost, port: state.natsClusterPort, routes: [...(state.natsRoutes ?? [])], pinnedKeys: startKeys },
      tls: { caFile: files.caCert, certFile: files.nodeCert, keyFile: files.nodeKey },
      users: natsUsersFor(subjects, [], [], state.nodeId),
      logger: log0.child({ component: 'nats-server' }),
    });
    await killStaleNatsServer(files.natsDir, log0);
    await nats.start();
    stops.push(() => nats.stop());

    const bus = await connectBus({
      servers: [nats.url],
      tls: { ca: pem.caCertPem, cert: pem.certPem, key: pem.keyPem },
      name: `flotillad ${config.nodeName}`,
      inboxPrefix: subjects.node.inboxPrefix(state.nodeId),
      logger: log0.child({ component: 'bus' }),
    });
    stops.push(() => bus.close());

    const member = await RaftMember.start({
      id: state.raftId,
      clusterId: state.clusterId,
      dataDir: files.raftDir,
      nc: bus.nc,
      // A joining member starts empty: the leader adds it as a voter and sends it the log or a snapshot.
      ...(start.kind === 'join' ? {} : { bootstrap: [state.raftId] }),
      logger: log0,
      nodeId: state.nodeId,
      ...(snapshotEvery !== undefined ? { snapshotEvery } : {}),
    });
    stops.push(() => member.stop());
    // A member whose WAL or store failed stops for good; this daemon must not go on as a voter
    // serving frozen reads: it exits and its supervisor restarts it from the data dir.
    member.onFatal((err) => failDaemon(`raft member ${state.raftId} of manager ${state.nodeId} failed (data dir ${files.raftDir})`, err));
    // nats-server admits only nodes the store knows, and routes only from current managers' keys.
    // From the local store at once, not after a leader is found: a restarted manager's nats-server
    // starts with no users, and refuses every worker reconnecting until this runs.
    const natsSync = followNodesForNats({
      member,
      nats,
      state,
      subjects,
      files,
      ownKey: () => ownKey,
      knownManagers: known.managers,
      ...(fetchedKeys ? { fetchedKeys } : {}),
      askManagers: (addrs) => fetchRouteKeys(addrs, ownCredentials, log0),
      onNotManager: (refusal) => {
        log0.warn({ from: refusal.from, reason: refusal.reason }, 'no Raft leader, and the other managers say this node is no manager now');
        for (const listener of [...notManagerListeners]) listener();
      },
      log: log0,
    });
    stops.push(async () => natsSync.stop());
    if (start.kind === 'init') {
      await waitForLeader(member, LEADER_WAIT_MS, true);
      await start.initialize(member);
    } else if (start.kind === 'join') {
      await waitForCatchUp(member, state.clusterId, JOIN_CATCH_UP_MS);
    } else {
      // A restarted member's store is empty until the log is replayed and committed again:
      // nothing may read it (the CA, the dispatcher, the control API) before then.
      await waitForLeader(member, LEADER_WAIT_MS, false).catch((err: unknown) => log0.warn({ err }, 'no Raft leader yet; serving what this member has'));
      await member.readBarrier().catch((err: unknown) => log0.warn({ err }, 'read barrier after restart failed'));
    }
    // The root CA key lives in the managers' store; a manager that joined writes its own copy.
    const rootFiles = await startRootCaFiles(files, member, state.clusterId, pem.caCertPem, log0);
    stops.push(async () => rootFiles.stop());
    const roots = rootFiles.roots;
    forwardWritesOnFollower(member, new StoreClient({ nc: bus.nc, clusterId: state.clusterId }));
    const storeService = new StoreService({ member, nc: bus.nc, clusterId: state.clusterId, logger: log0.child({ component: 'store-service' }) });
    await storeService.start();
    stops.push(() => storeService.stop());

    const cluster = (): Cluster | undefined => member.store.view().clusters.get(state.clusterId);
    const caServer = await startNodeCaServer({
      state: {
        clusterId: state.clusterId,
        rootCa: () => roots.current(),
        rotation: () => roots.rotation(),
        joinTokens: (): JoinTokens => cluster()?.rootCa?.joinTokens ?? { worker: '', manager: '', service: '' },
        nodeCertExpiryMs: () => cluster()?.spec?.caConfig?.nodeCertExpiryMs || undefined,
        deniedNodeIds: () => cluster()?.deniedNodeIds ?? [],
        currentRole: (nodeId): CertRole | undefined => asCertRole(member.store.view().nodes.get(nodeId)?.spec?.desiredRole),
        isManagerNow: (nodeId) => isManagerNow(member.store.view().nodes.get(nodeId)),
        onNodeJoined: async (joined) => {
          await writeStore(member, (_view, tx) => {
            tx.create('node', withCertIssuer(withTlsInfo(createJoinedNode(joined.nodeId, joined.role, joined.addresses, portOf(state.listenAddr)), joined), joined));
          });
        },
        onNodeRenewed: async (renewed) => {
          await recordCertIssuer(member, renewed.nodeId, renewed);
          await recordRenewedNode(member, renewed, portOf(state.listenAddr), log0);
        },
        routeKeys: () => {
          const view = member.store.view();
          const nodes = [...view.nodes.all()];
          return natsRouteKeysFor(nodes, view.clusters.get(state.clusterId)?.deniedNodeIds ?? [], votingNodeIds(nodes, member.status().voters), ownKey);
        },
      },
      identity: { nodeId: state.nodeId, role: NodeRole.NODE_ROLE_MANAGER, certPem: pem.certPem, keyPem: pem.keyPem, caCertPem: pem.caCertPem } satisfies NodeCredentials,
      host: hostOf(state.listenAddr),
      port: portOf(state.listenAddr),
      logger: log0,
      services: [
        ...portServices,
        // Service identities (issue 16): `flotillad service <name> --token <service token>`.
        serviceCaPortService(
          {
            clusterId: state.clusterId,
            rootCa: () => roots.current(),
            rotation: () => roots.rotation(),
            joinTokens: (): JoinTokens => cluster()?.rootCa?.joinTokens ?? { worker: '', manager: '', service: '' },
            nodeCertExpiryMs: () => cluster()?.spec?.caConfig?.nodeCertExpiryMs || undefined,
            natsUrls: () => managerNatsUrls(member.store.view().nodes.all(), state.natsPort, cluster()?.deniedNodeIds ?? []),
            services: PROCESS_SERVICES,
          },
          log0.child({ component: 'service-ca' }),
        ),
      ],
    });
    stops.push(() => caServer.stop());
    // The singleton services this manager runs itself (--services), while it leads; and who runs what, for `info`.
    const inProcess = config.services ?? PROCESS_SERVICES;
    let services: InProcessServices | undefined;
    const presence = servePresence(bus.nc, subjects, () => services?.statuses() ?? [], log0);
    stops.push(async () => presence.stop());

    const leaderWork = runWhileLeader(member, log0, async () => {
      const dispatcher = new Dispatcher({ nc: bus.nc, subjects, backend: new StoreDispatcherBackend(member, log0.child({ component: 'dispatcher-backend' })), networks: new StoreNetworkStateSource(member, log0.child({ component: 'network-state-source' })), logger: log0.child({ component: 'dispatcher' }) });
      await dispatcher.start();
      const secretServer = new TaskSecretServer({ nc: bus.nc, subjects, source: new StoreTaskSecretSource(member, () => roots.secretsKey()), sessionOf: (id) => dispatcher.sessionOf(id), logger: log0 });
      secretServer.start();
      const pluginServer = new TaskPluginServer({ nc: bus.nc, subjects, source: new StoreTaskPluginSource(member), sessionOf: (id) => dispatcher.sessionOf(id), logger: log0 });
      pluginServer.start();
      const promotions = noticePromotions(member, bus, subjects, log0.child({ component: 'role-notices' }));
      const gossip = new GossipService({ nc: bus.nc, subjects, member, clusterId: state.clusterId, dispatcher, log: log0 });
      gossip.start();
      const started = startInProcessServices(member, state.nodeId, inProcess, log0);
      services = started;
      const voters = followManagerVoters(member, log0.child({ component: 'manager-voters' }));
      const rotation = driveRootRotation(member, bus, subjects, roots, state.clusterId, log0.child({ component: 'root-rotation' }));
      return async () => {
        // Decisions about nodes end first and at once (both halt synchronously, then drain): the
        // other stops can wait on writes stuck behind the network that cost the leadership.
        const nodeDecisions = Promise.all([gossip.stop(), dispatcher.stop()]);
        rotation.stop();
        promotions.stop();
        voters.stop();
        if (services === started) services = undefined;
        await started.stop();
        await secretServer.stop();
        await pluginServer.stop();
        await nodeDecisions;
      };
    });
    stops.push(() => leaderWork.stop());

    const plugins = managerPlugins(config, state.nodeId, member, log0);
    stops.push(() => plugins.stop());
    const agent: Agent = await startLocalAgent({ config, nodeId: state.nodeId, advertiseHost: state.advertiseHost, bus, subjects, dataDir: files.agentDir, log: log0, volumeDrivers: plugins.volumeAccess });
    stops.push(() => agent.stop());
    const nodeLb = await startNodeLb(agent, { nodeId: state.nodeId, advertiseHost: state.advertiseHost, dataDir: files.agentDir, log: log0 });
    stops.push(async () => nodeLb?.stop());
    const nodeGossip = new NodeGossip({ nodeId: state.nodeId, host: state.advertiseHost, nc: bus.nc, subjects, sessionId: () => agent.sessionId, log: log0, probeIntervalMs: config.gossipProbeIntervalMs });
    nodeGossip.start();
    stops.push(() => nodeGossip.stop());
    const networkDb = startNodeNetworkDb({ nodeId: state.nodeId, vtepAddr: state.advertiseHost, networking: agent.networking, gossip: nodeGossip, lbRuns: nodeLb !== undefined, log: log0 });
    stops.push(async () => networkDb?.stop());

    const managerAddr = `${state.advertiseHost}:${caServer.port}`;
    const renewal = startNodeCertRenewal(
      {
        files,
        state,
        // Its own CA first (every manager holds the root key), the others if it does not answer.
        managerAddrs: () => [managerAddr, ...otherManagerAddrs(member.store.view().nodes.all(), state.nodeId)],
        applyTls: async (creds) => {
          caServer.credentials.updateIdentity(creds);
          // Same cert/key paths, new content: a SIGHUP reload makes nats-server read them again
          // (client port and routes) without dropping its connections. The CA recorded the new key
          // (and the one renewed with) before answering, so the other managers pin it already.
          ownKey = certificateKeySha256(creds.certPem);
          ownCredentials = creds;
          await natsSync.sync(true);
          await reloadBusTls(bus.nc, { ca: creds.caCertPem, cert: creds.certPem, key: creds.keyPem });
        },
        log: log0.child({ component: 'cert-renewal' }),
        renewAfterMs,
      },
      { nodeId: state.nodeId, role: NodeRole.NODE_ROLE_MANAGER, ...pem },
    );
    stops.push(() => renewal.stop());
    const rotationNotices = followRotationNotices(bus.nc, subjects, state.nodeId, renewal, log0.child({ component: 'cert-renewal' }));
    stops.push(() => rotationNotices.stop());
    log0.info({ managerAddr, nats: nats.url, raftId: state.raftId }, 'manager running');
    let stopping: Promise<void> | undefined;
    return {
      state,
      member,
      subjects,
      caServer,
      natsUrl: nats.url,
      bus,
      cluster,
      get secretsKey() {
        return roots.secretsKey();
      },
      roots,
      managerAddr,
      gossipInfo: () => gossipInfo(nodeGossip, networkDb),
      plugins,
      refused: () => ({ nats: nats.refused(), managerPort: caServer.refused() }),
      dnsRefused: () => nodeLb?.dnsRefused() ?? [],
      onNoLongerManager: (listener) => {
        notManagerListeners.add(listener);
        return () => notManagerListeners.delete(listener);
      },
      managerServices: async () => ({
        instances: await gatherServiceStatus(bus.nc, subjects),
        leases: [...member.store.view().leases.all()].sort((a, b) => a.id.localeCompare(b.id)),
      }),
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** tls://host:port of every current manager's NATS client port (the same port on every manager), for a new service process. */
function managerNatsUrls(nodes: Iterable<Node>, natsPort: number, denied: readonly string[]): string[] {
  const urls: string[] = [];
  for (const n of nodes) {
    if (n.role !== NodeRole.NODE_ROLE_MANAGER || !n.managerStatus?.addr || denied.includes(n.id)) continue;
    urls.push(`tls://${hostOf(n.managerStatus.addr)}:${natsPort}`);
  }
  return urls.sort();
}

function hostOf(addr: string): string {
  return addr.slice(0, addr.lastIndexOf(':'));
}

function portOf(addr: string): number {
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

/** How long a leadership change waits for the old leader-only services to finish stopping. */
const LEADER_STOP_WAIT_MS = 15_000;

async function settledWithin(p: Promise<unknown>, ms: number): Promise<'settled' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const settled = p.then(() => 'settled' as const);
  settled.catch(() => undefined); // a rejection after 'late' belongs to the caller's own handler
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `work` whenever this member leads and undoes it when leadership goes; one at a time. */
function runWhileLeader(member: RaftMember, log: Logger, work: () => Promise<() => Promise<void>>): { stop(): Promise<void> } {
  let undo: (() => Promise<void>) | undefined;
  let chain = Promise.resolve();
  let stopped = false;
  const apply = (leader: boolean) => {
    chain = chain.then(async () => {
      try {
        if (leader && !undo && !stopped) {
          undo = await work();
          log.info('leader: dispatcher and manager services started');
        } else if ((!leader || stopped) && undo) {
          const u = undo;
          undo = undefined;
          // A stop waits for handlers in flight, whose writes may wait out their deadlines; the
          // next leadership change must not queue behind that for good.
          const done = u().then(() => log.info('no longer leader: dispatcher and manager services stopped'));
          if ((await settledWithin(done, LEADER_STOP_WAIT_MS)) === 'late') {
            log.error({ waitedMs: LEADER_STOP_WAIT_MS }, 'the leader-only services are still stopping; going on (their decisions already ended)');
            done.catch((err: unknown) => log.error({ err }, 'stopping the leader-only services failed'));
          }
        }
      } catch (err) {
        log.error({ err, leader }, 'changing the leader-only services failed');
      }
    });
  };
  const off = member.onLeaderChange((change) => apply(change.isLeader));
  if (member.isLeader) apply(true);
  return {
    stop: async () => {
      stopped = true;
      off();
      apply(false);
      await chain;
    },
  };
}

/** Waits until this member leads (`self`) or until any leader is known. */
function waitForLeader(member: RaftMember, timeoutMs: number, self: boolean): Promise<void> {
  if (self ? member.isLeader : member.leaderId !== 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`Raft member ${member.id} ${self ? 'did not become leader' : 'saw no leader'} within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    const off = member.onLeaderChange((change) => {
      if (self ? !change.isLeader : change.leader === 0) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** A joining member is caught up once it is a voter, knows a leader and has the Cluster object after a read barrier. */
async function waitForCatchUp(member: RaftMember, clusterId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no Raft leader known';
  while (Date.now() < deadline) {
    if (member.leaderId !== 0 && member.status().voters.includes(member.id)) {
      try {
        await member.readBarrier(Math.max(1, Math.min(3_000, deadline - Date.now())));
        if (member.store.view().clusters.get(clusterId)) return;
        last = 'the Cluster object has not arrived';
      } catch (err) {
        last = (err as Error).message;
      }
    } else if (member.leaderId !== 0) {
      last = 'not a voter yet';
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`this manager did not catch up with the swarm within ${timeoutMs / 1000}s: ${last}`);
}
