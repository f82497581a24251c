import { X509Certificate } from 'node:crypto';
import { BackupFileError, decodeBackupFile, NodeRole, newId, validateClusterSpec, type ManagerServicesInfo, type Node, type SwarmInfo } from '@flotilla/api';
import { pickFreePort } from '@flotilla/bus';
import { createRootCa, issuedCertificate, issueLocalNodeCredentials, joinCluster, newNodeId, readNodeIdentity } from '@flotilla/ca';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { alreadyInSwarm, ControlError, invalidArgument, notManager } from '../control/control-error.js';
import { inactiveSwarm } from '../info.js';
import { createInitCluster } from '../manager/cluster-object.js';
import { ingressNetworkForInit, networkPoolForInit } from '../manager/ingress-network.js';
import { NoLongerManagerError, startManagerRuntime, type ManagerPortServices, type ManagerRuntime } from '../manager/manager-runtime.js';
import { createInitNode, withTlsInfo } from '../manager/node-objects.js';
import { raftIdForNode } from '../manager/raft-ids.js';
import { managerRoutes } from '../manager/nats-routes.js';
import { readRouteKeys, writeRouteKeys } from '../manager/route-keys-file.js';
import { handLeadershipOver, leaveManagerGroup, waitUntilNotVoter } from '../manager/manager-leave.js';
import { followOwnRole } from '../manager/own-role.js';
import { managerStateAfterPromotion, otherManagerAddrs, renewForRole, switchCertificate, workerStateAfterDemotion } from './role-change.js';
import { writeStore } from '../manager/store-writer.js';
import { forceManagerAlone } from '../manager/force-new-cluster.js';
import { writeRestoredDataDir } from './backup.js';
import { resolveAdvertiseAddr, resolveListenAddr, SwarmInputError } from './addresses.js';
import { removeNodeNetworking, removeTaskContainers } from './leave-cleanup.js';
import { managerSwarmInfo, withDnsRefused, withGossip, workerSwarmInfo } from './swarm-info.js';
import { readSwarmState, removeSwarmFiles, swarmFiles, writeNodePems, writeSwarmState, type SwarmFiles, type SwarmState } from './swarm-state.js';
import { startWorkerRuntime, type WorkerRuntime } from './worker-runtime.js';

export interface SwarmJoinOptions {
  remoteAddr: string;
  token: string;
  advertiseAddr: string;
}

export interface SwarmInitOptions {
  advertiseAddr: string;
  listenAddr: string;
  certExpiryMs: number;
  /** --default-addr-pool (repeatable) and --default-addr-pool-mask-length; empty/0 = docker's 10.0.0.0/8 in /24s. */
  defaultAddrPool?: readonly string[];
  defaultAddrPoolMaskLength?: number;
}

/** Daemon flags that decide the NATS ports a manager binds (0 = any free port). */
export interface NatsPorts {
  readonly client: number;
  readonly cluster: number;
}

/** This node's swarm membership: none, or a running manager; one change at a time. */
export class SwarmController {
  private runtime: ManagerRuntime | undefined;
  private worker: WorkerRuntime | undefined;
  /** A restored worker still connecting to its managers. */
  private pendingWorker: SwarmState | undefined;
  private stopped = false;
  private workerStarting: Promise<void> = Promise.resolve();
  private wakeRetry: () => void = () => {};
  private busy: Promise<unknown> = Promise.resolve();
  private readonly files: SwarmFiles;
  /** Stops following the running manager's own Node object (for a demotion). */
  private stopRoleWatch: () => void = () => {};
  /** A role change under way or queued: notices and store events repeat, one change is enough. */
  private roleChanging = false;
  /** The leader repeats its notice until the promotion is done: log a failing attempt once per reason. */
  private lastPromotionError = '';
  /** What the daemon serves on the manager's port next to NodeCa (the control API), for every manager runtime. */
  private managerPortServices: ManagerPortServices = [];
  private readonly managerListeners = new Set<(runtime: ManagerRuntime) => void>();

  constructor(
    private readonly config: DaemonConfig,
    private readonly natsPorts: NatsPorts,
    private readonly log: Logger,
  ) {
    this.files = swarmFiles(config.dataDir);
  }

  /** Set before `restore`: each manager runtime started from then on serves these on its port. */
  serveOnManagerPort(services: ManagerPortServices): void {
    this.managerPortServices = services;
  }

  get manager(): ManagerRuntime | undefined {
    return this.runtime;
  }

  /** The running manager, or the docker-style refusal. */
  requireManager(): ManagerRuntime {
    if (!this.runtime) throw notManager();
    return this.runtime;
  }

  /** At daemon start: come back as the node the data dir says we are. */
  async restore(): Promise<void> {
    const state = await readSwarmState(this.files);
    if (!state) return;
    this.log.info({ nodeId: state.nodeId, clusterId: state.clusterId }, 'restoring swarm membership from the data dir');
    if (state.role === NodeRole.NODE_ROLE_WORKER) {
      // A worker whose managers are away must still start and answer its operator: it keeps
      // trying in the background (`info` says pending) and `swarm leave` stays possible.
      this.pendingWorker = state;
      this.workerStarting = this.startWorkerUntilConnected(state);
      return;
    }
    let runtime: ManagerRuntime;
    try {
      runtime = await startManagerRuntime(this.config, this.files, state, this.log, { kind: 'restart' }, this.managerPortServices);
    } catch (err) {
      if (!(err instanceof NoLongerManagerError)) throw err;
      // Demoted while this node was down: the leader took it out of the voters, so its routes are
      // refused and its Raft log is stale. It comes back as a worker, like a demotion it carried out.
      const log = this.log.child({ nodeId: state.nodeId, clusterId: state.clusterId });
      log.warn({ reason: err.message }, 'demoted while down: coming back as a worker');
      try {
        await this.becomeWorker(state, err.managers, log);
        return;
      } catch (renewErr) {
        log.error({ err: renewErr }, 'could not become a worker yet; starting as a manager until it can');
      }
      runtime = await startManagerRuntime(this.config, this.files, state, this.log, { kind: 'restart', evenIfDemoted: true }, this.managerPortServices);
    }
    this.adoptManager(runtime);
  }

  /**
   * A demoted manager becomes a worker: a worker certificate from one of `managers` (the CA issues
   * the role the cluster wants; throws when none gives one, nothing changed yet), `stopManager` (a
   * running manager's way out), then the worker runtime, connecting to those managers' NATS
   * servers. Its Raft data goes: the leader has removed it from the voters, or will as soon as that
   * keeps a quorum.
   */
  private async becomeWorker(manager: SwarmState, managers: readonly string[], log: Logger, stopManager?: () => Promise<void>): Promise<void> {
    const addrs = [...new Set(managers)].filter((a) => a !== '' && a !== manager.listenAddr);
    const creds = await renewForRole(this.files, manager, addrs, NodeRole.NODE_ROLE_WORKER);
    const state = workerStateAfterDemotion(manager, addrs);
    await stopManager?.();
    await switchCertificate(this.files, creds, NodeRole.NODE_ROLE_WORKER);
    await writeSwarmState(this.files, state);
    // Like a restored worker: the managers may still be reloading their users for this node.
    this.pendingWorker = state;
    this.workerStarting = this.startWorkerUntilConnected(state);
    log.info({ nats: state.natsServers }, 'now a worker');
  }

  private async startWorkerUntilConnected(state: SwarmState): Promise<void> {
    let delay = 1_000;
    while (!this.stopped && this.pendingWorker === state) {
      try {
        const worker = await startWorkerRuntime(this.config, this.files, state, this.log, this.roleNotice);
        if (this.stopped || this.pendingWorker !== state) {
          // Left (or stopping) while connecting: this runtime belongs to nobody now.
          await worker.stop();
          return;
        }
        this.worker = worker;
        this.pendingWorker = undefined;
        return;
      } catch (err) {
        this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'worker could not reach its managers; retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** Joins as a worker: certificate from the manager's CA (pinned by the token), then the agent over NATS. */
  join(options: SwarmJoinOptions): Promise<{ nodeId: string; isManager: boolean }> {
    return this.exclusive(async () => {
      if (this.runtime || this.worker || this.pendingWorker || (await readSwarmState(this.files))) throw alreadyInSwarm();
      let advertiseHost: string;
      try {
        advertiseHost = resolveAdvertiseAddr(options.advertiseAddr || this.config.advertiseAddr).host;
      } catch (err) {
        if (err instanceof SwarmInputError) throw invalidArgument(err.message);
        throw err;
      }
      const remoteHost = options.remoteAddr.slice(0, options.remoteAddr.lastIndexOf(':'));
      if (remoteHost === '' || !/:\d+$/.test(options.remoteAddr)) throw invalidArgument(`invalid manager address "${options.remoteAddr}": expected host:port`);
      let creds;
      try {
        // 'localhost' as for `swarm init`: a manager's own bus dials its nats-server by IP (see doInit).
        creds = await joinCluster({ addr: options.remoteAddr, token: options.token, addresses: [advertiseHost, 'localhost'] });
      } catch (err) {
        throw new ControlError(GrpcStatus.FAILED_PRECONDITION, `could not join the swarm through ${options.remoteAddr}: ${(err as Error).message}`);
      }
      const clusterId = readNodeIdentity(new X509Certificate(creds.certPem)).clusterId;
      if (creds.role === NodeRole.NODE_ROLE_MANAGER) {
        return this.joinAsManager(options, creds, clusterId, advertiseHost, remoteHost);
      }
      const state: SwarmState = {
        clusterId,
        nodeId: creds.nodeId,
        role: NodeRole.NODE_ROLE_WORKER,
        raftId: 0,
        advertiseHost,
        listenAddr: '',
        natsPort: 0,
        natsClusterPort: 0,
        // Managers serve NATS on the same client port on their own address (like 2377 and 4222 in Docker's layout).
        natsServers: [`tls://${remoteHost}:${this.natsPorts.client}`],
        joinedVia: options.remoteAddr,
      };
      await removeSwarmFiles(this.files);
      await writeNodePems(this.files, { certPem: creds.certPem, keyPem: creds.keyPem, caCertPem: creds.caCertPem });
      try {
        this.worker = await startWorkerRuntime(this.config, this.files, state, this.log, this.roleNotice);
      } catch (err) {
        await removeSwarmFiles(this.files);
        throw err;
      }
      await writeSwarmState(this.files, state);
      this.log.info({ nodeId: creds.nodeId, clusterId, via: options.remoteAddr }, 'joined the swarm as a worker');
      return { nodeId: creds.nodeId, isManager: false };
    });
  }

  /**
   * A manager token: this node runs its own nats-server routed to the manager it joined through,
   * starts an empty Raft member that the leader adds as a voter (its id derived from the node
   * id), catches up, then runs everything a manager runs (leader-only services wait for leadership).
   * Convention like Docker's 2377/4222: managers use the same join, NATS and route ports on their own addresses.
   */
  private async joinAsManager(
    options: SwarmJoinOptions,
    creds: { nodeId: string; certPem: string; keyPem: string; caCertPem: string; routeKeys?: string[] },
    clusterId: string,
    advertiseHost: string,
    remoteHost: string,
  ): Promise<{ nodeId: string; isManager: boolean }> {
    const remotePort = Number(options.remoteAddr.slice(options.remoteAddr.lastIndexOf(':') + 1));
    if (this.natsPorts.cluster === 0) {
      throw invalidArgument('joining as a manager needs a fixed --nats-cluster-port (the route port every manager uses), not 0');
    }
    let state: SwarmState = {
      clusterId,
      nodeId: creds.nodeId,
      role: NodeRole.NODE_ROLE_MANAGER,
      raftId: raftIdForNode(creds.nodeId),
      advertiseHost,
      listenAddr: `${advertiseHost}:${remotePort}`,
      natsPort: this.natsPorts.client === 0 ? await pickFreePort(advertiseHost) : this.natsPorts.client,
      natsClusterPort: this.natsPorts.cluster,
      natsServers: [],
      natsRoutes: [`nats-route://${remoteHost}:${this.natsPorts.cluster}`],
      joinedVia: options.remoteAddr,
    };
    const log = this.log.child({ nodeId: creds.nodeId, clusterId });
    await removeSwarmFiles(this.files);
    await writeNodePems(this.files, { certPem: creds.certPem, keyPem: creds.keyPem, caCertPem: creds.caCertPem });
    // The managers' route keys from the join answer: this node's nats-server pins them until it can read the store.
    await writeRouteKeys(this.files, { keys: creds.routeKeys ?? [], managers: [options.remoteAddr] });
    let runtime: ManagerRuntime;
    try {
      runtime = await this.startJoiningManager(state, log);
    } catch (err) {
      await removeSwarmFiles(this.files);
      throw new ControlError(GrpcStatus.FAILED_PRECONDITION, `could not join the swarm as a manager through ${options.remoteAddr}: ${(err as Error).message}`);
    }
    this.adoptManager(runtime);
    log.info({ via: options.remoteAddr, raftId: runtime.state.raftId, managerAddr: runtime.managerAddr }, 'joined the swarm as a manager');
    return { nodeId: creds.nodeId, isManager: true };
  }

  /**
   * Starts an empty Raft member that the leader adds as a voter, waits for it to catch up, then (if
   * the store names managers it has no route to) restarts with a route to every manager, and writes
   * the state file. Stops what it started when it fails.
   */
  private async startJoiningManager(initial: SwarmState, log: Logger): Promise<ManagerRuntime> {
    let state = initial;
    let runtime: ManagerRuntime | undefined;
    try {
      runtime = await startManagerRuntime(this.config, this.files, state, log, { kind: 'join' }, this.managerPortServices);
      const view = runtime.member.store.view();
      const routes = managerRoutes(view.nodes.all(), state.nodeId, state.natsClusterPort, view.clusters.get(state.clusterId)?.deniedNodeIds ?? []);
      if (routes.join() !== [...(state.natsRoutes ?? [])].sort().join()) {
        // nats-server takes its routes at start: come back (from the WAL just written) with a route to every manager.
        state = { ...state, natsRoutes: routes };
        log.info({ routes }, 'restarting the manager with routes to every manager');
        const first = runtime;
        runtime = undefined;
        await first.stop();
        runtime = await startManagerRuntime(this.config, this.files, state, log, { kind: 'restart' }, this.managerPortServices);
      }
      await writeSwarmState(this.files, state);
      return runtime;
    } catch (err) {
      await runtime?.stop();
      throw err;
    }
  }

  /**
   * Calls `listener` with each manager runtime this node starts (init, join, restart, promotion)
   * as it is adopted, so what follows its Raft member (metrics) sees it from its first election.
   */
  onManagerStarted(listener: (runtime: ManagerRuntime) => void): () => void {
    this.managerListeners.add(listener);
    return () => this.managerListeners.delete(listener);
  }

  /** The running manager from now on; it follows its own Node object to notice a demotion. */
  private adoptManager(runtime: ManagerRuntime): void {
    this.runtime = runtime;
    this.roleChanging = false;
    for (const l of this.managerListeners) l(runtime);
    const watch = followOwnRole(runtime.member, runtime.state.nodeId, () => this.requestDemotion(runtime));
    const offCutOff = runtime.onNoLongerManager(() => this.requestDemotion(runtime, 'cut-off'));
    this.stopRoleWatch = () => {
      watch.stop();
      offCutOff();
    };
  }

  /** Stops the running manager (following its role first) and forgets it. */
  private async dropManager(runtime: ManagerRuntime): Promise<void> {
    this.stopRoleWatch();
    this.stopRoleWatch = () => {};
    if (this.runtime === runtime) this.runtime = undefined;
    await runtime.stop();
  }

  /** The leader told this worker it is promoted. */
  private readonly roleNotice = (node: Node): void => {
    if (node.spec?.desiredRole !== NodeRole.NODE_ROLE_MANAGER || this.roleChanging || this.stopped) return;
    this.roleChanging = true;
    void this.exclusive(() => this.promoteSelf()).catch((err: unknown) => this.log.error({ err }, 'promotion to manager failed'));
  };

  /**
   * `through-store`: its own Node object asks for the worker role (demoteSelf). `cut-off`: no Raft
   * leader, and the other managers refuse it as no manager now (demoteCutOff).
   */
  private requestDemotion(runtime: ManagerRuntime, how: 'through-store' | 'cut-off' = 'through-store'): void {
    if (this.roleChanging || this.stopped || this.runtime !== runtime) return;
    this.roleChanging = true;
    const demote = how === 'cut-off' ? () => this.demoteCutOff(runtime) : () => this.demoteSelf(runtime);
    void this.exclusive(demote).catch((err: unknown) => this.log.error({ err }, 'demotion to worker failed'));
  }

  /**
   * A running manager that has no Raft leader and that the other managers refuse as no manager now:
   * demoted while it was cut off (or down, and back before it knew), and taken out of the voters,
   * so it can neither route to them nor write its demotion through the store. It stops as a manager
   * and becomes a worker; if no manager gives it a worker certificate, nothing changes and the next
   * refusal (every few seconds while it has no leader) tries again.
   */
  private async demoteCutOff(runtime: ManagerRuntime): Promise<void> {
    try {
      if (this.runtime !== runtime || this.stopped || runtime.member.leaderId !== 0) return;
      const { state } = runtime;
      const log = this.log.child({ nodeId: state.nodeId, clusterId: state.clusterId });
      const known = await readRouteKeys(this.files, log);
      const managers = [...otherManagerAddrs(runtime.member.store.view().nodes.all(), state.nodeId), ...known.managers];
      await this.becomeWorker(state, managers, log, async () => {
        log.warn({ managers }, 'demoted while cut off from the other managers: stopping as a manager to run as a worker');
        await this.dropManager(runtime);
      });
    } finally {
      this.roleChanging = false;
    }
  }

  /**
   * Worker → manager: a manager certificate from the CA (which records this node as a manager, so
   * the leader adds it as a Raft voter), then the same start as a manager that joined. The agent's
   * assignments stay, so its containers are adopted, not restarted. A failed attempt comes back to
   * the worker it was; the leader's next notice tries again.
   */
  private async promoteSelf(): Promise<void> {
    const worker = this.worker;
    try {
      if (!worker || this.stopped) return;
      const log = this.log.child({ nodeId: worker.state.nodeId, clusterId: worker.state.clusterId });
      let state: SwarmState;
      let creds;
      try {
        state = managerStateAfterPromotion(worker.state, this.natsPorts);
        creds = await renewForRole(this.files, worker.state, [worker.state.joinedVia ?? ''], NodeRole.NODE_ROLE_MANAGER);
      } catch (err) {
        const message = (err as Error).message;
        if (message !== this.lastPromotionError) log.error({ err: message }, 'cannot become a manager yet; will try again on the next notice');
        this.lastPromotionError = message;
        return;
      }
      this.lastPromotionError = '';
      log.info({ raftId: state.raftId }, 'promoted: starting as a manager');
      this.worker = undefined;
      await worker.stop();
      await switchCertificate(this.files, creds, NodeRole.NODE_ROLE_MANAGER);
      await writeRouteKeys(this.files, { keys: creds.routeKeys ?? [], managers: [worker.state.joinedVia ?? ''].filter(Boolean) });
      try {
        this.adoptManager(await this.startJoiningManager(state, log));
        log.info({ managerAddr: this.runtime?.managerAddr }, 'now a manager');
      } catch (err) {
        log.error({ err }, 'starting as a manager failed; running as a worker again');
        this.worker = await startWorkerRuntime(this.config, this.files, worker.state, this.log, this.roleNotice);
      }
    } finally {
      this.roleChanging = false;
    }
  }

  /**
   * Manager → worker: a worker certificate from another manager while this one still runs, then
   * out of the Raft voters (leadership handed over first), then the manager stops and the agent
   * reconnects to the other managers' NATS servers. The agent's assignments stay.
   */
  private async demoteSelf(runtime: ManagerRuntime): Promise<void> {
    try {
      if (this.runtime !== runtime || this.stopped) return;
      const { nodeId } = runtime.state;
      const log = this.log.child({ nodeId, clusterId: runtime.state.clusterId });
      const self = runtime.member.store.view().nodes.get(nodeId);
      if (self?.spec?.desiredRole !== NodeRole.NODE_ROLE_WORKER) return;
      const addrs = otherManagerAddrs(runtime.member.store.view().nodes.all(), nodeId);
      log.info({ managers: addrs }, 'demoted: leaving the managers to run as a worker');
      // The worker certificate first (the CA already issues the desired role): if no manager can
      // give one, nothing has changed yet and the next change of this node's object tries again.
      // The leader removes this voter and records it as a worker on its own (node demote alone is
      // enough); leaving hands leadership over if needed and waits until the others no longer count
      // on this vote.
      await this.becomeWorker(runtime.state, addrs, log, async () => {
        await handLeadershipOver(runtime.member, log);
        await waitUntilNotVoter(runtime, log);
        await this.dropManager(runtime);
      });
    } finally {
      this.roleChanging = false;
    }
  }

  init(options: SwarmInitOptions): Promise<ManagerRuntime> {
    return this.exclusive(() => this.doInit(options));
  }

  /**
   * `swarm init --force-new-cluster` (docker's disaster recovery): this manager's Raft group
   * becomes itself alone with the state it holds, the other managers dropped (their Node objects
   * stay, denied: see forceManagerAlone). On a node in no swarm it is a plain init, as in docker.
   */
  forceNewCluster(options: SwarmInitOptions): Promise<{ runtime: ManagerRuntime; dropped: string[] }> {
    return this.exclusive(async () => {
      const state = await readSwarmState(this.files);
      if (!state) return { runtime: await this.doInit(options), dropped: [] };
      if (state.role !== NodeRole.NODE_ROLE_MANAGER) {
        throw new ControlError(GrpcStatus.FAILED_PRECONDITION, "this node is a worker: --force-new-cluster needs a manager's data; run it on a manager that survived");
      }
      const log = this.log.child({ nodeId: state.nodeId, clusterId: state.clusterId });
      if (this.runtime) await this.dropManager(this.runtime);
      const dropped = await forceManagerAlone(this.files, state, log);
      // The only manager now: its routes went to the managers it dropped (dialled for ever); the
      // managers that join later dial it.
      const alone: SwarmState = { ...state, natsRoutes: [] };
      await writeSwarmState(this.files, alone);
      const runtime = await startManagerRuntime(this.config, this.files, alone, log, { kind: 'restart' }, this.managerPortServices);
      this.adoptManager(runtime);
      log.warn({ dropped, managerAddr: runtime.managerAddr }, 'swarm re-initialised from this manager alone (--force-new-cluster)');
      return { runtime, dropped };
    });
  }

  /**
   * `swarm restore`: on a node in no swarm, comes back as the manager a backup file was taken on,
   * the only voter of a new Raft group with the backed-up store (same cluster, root CA, join
   * tokens, services, secrets, networks). A bad file changes nothing; a failed start removes what
   * was written, as a failed init does.
   */
  restoreBackup(file: Uint8Array): Promise<{ runtime: ManagerRuntime; dropped: string[]; raftIndex: number }> {
    return this.exclusive(async () => {
      if (this.runtime || this.worker || this.pendingWorker || (await readSwarmState(this.files))) throw alreadyInSwarm();
      let backup;
      try {
        backup = decodeBackupFile(file);
      } catch (err) {
        if (err instanceof BackupFileError) throw invalidArgument(err.message);
        throw err;
      }
      const log = this.log.child({ nodeId: backup.nodeId, clusterId: backup.clusterId });
      let runtime: ManagerRuntime | undefined;
      try {
        const { state, dropped } = await writeRestoredDataDir(this.files, backup, log);
        runtime = await startManagerRuntime(this.config, this.files, state, log, { kind: 'restart' }, this.managerPortServices);
        await writeSwarmState(this.files, state);
        this.adoptManager(runtime);
        log.warn({ raftIndex: backup.raftIndex, backedUpAt: new Date(backup.createdAtMs).toISOString(), dropped }, 'swarm restored from a backup');
        return { runtime, dropped, raftIndex: backup.raftIndex };
      } catch (err) {
        await runtime?.stop();
        await removeSwarmFiles(this.files);
        throw err;
      }
    });
  }

  leave(force: boolean): Promise<void> {
    return this.exclusive(async () => {
      if (this.pendingWorker) {
        const st = this.pendingWorker;
        this.pendingWorker = undefined;
        this.wakeRetry();
        await removeTaskContainers(this.config, st.nodeId, this.log);
        await removeNodeNetworking(this.config, st.nodeId, st.advertiseHost, this.files.agentDir, this.log);
        await removeSwarmFiles(this.files);
        this.log.info({ nodeId: st.nodeId }, 'left the swarm (its managers were not reachable)');
        return;
      }
      if (this.worker) {
        const worker = this.worker;
        this.worker = undefined;
        await worker.stop();
        await removeTaskContainers(this.config, worker.state.nodeId, this.log);
        await removeNodeNetworking(this.config, worker.state.nodeId, worker.state.advertiseHost, this.files.agentDir, this.log);
        await removeSwarmFiles(this.files);
        this.log.info({ nodeId: worker.state.nodeId }, 'left the swarm');
        return;
      }
      const runtime = this.runtime;
      if (!runtime) throw invalidArgument('this node is not part of a swarm');
      const managers = [...runtime.member.store.view().nodes.all()].filter((n) => n.role === NodeRole.NODE_ROLE_MANAGER).length;
      if (!force) {
        throw invalidArgument(
          managers <= 1
            ? 'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.'
            : 'You are attempting to leave the swarm on a node that is participating as a manager. Removing this node leaves the remaining managers with fewer to keep quorum. Use `--force` to ignore this message.',
        );
      }
      if (managers > 1) {
        // Take our vote out of the group first, or the others keep counting a voter that never answers.
        await leaveManagerGroup(runtime.member, runtime.state.nodeId, this.log).catch((err: unknown) => {
          throw new ControlError(GrpcStatus.FAILED_PRECONDITION, `could not leave the managers' Raft group: ${(err as Error).message}`);
        });
      }
      await this.dropManager(runtime);
      await removeTaskContainers(this.config, runtime.state.nodeId, this.log);
      await removeNodeNetworking(this.config, runtime.state.nodeId, runtime.state.advertiseHost, this.files.agentDir, this.log);
      await removeSwarmFiles(this.files);
      this.log.info({ nodeId: runtime.state.nodeId }, 'left the swarm');
    });
  }

  /** On a manager (issue 16): which manager service instances answer, wherever they run, and who holds each lease. */
  async managerServices(): Promise<ManagerServicesInfo | undefined> {
    return this.runtime?.managerServices();
  }

  info(): SwarmInfo {
    if (this.runtime) {
      const view = this.runtime.member.store.view();
      const denied = view.clusters.get(this.runtime.state.clusterId)?.deniedNodeIds ?? [];
      const info = withGossip(managerSwarmInfo(this.runtime.state, view.nodes.all(), denied, this.runtime.refused()), this.runtime.gossipInfo());
      return withDnsRefused(info, this.runtime.dnsRefused());
    }
    const worker = this.worker?.state ?? this.pendingWorker;
    if (worker) return withDnsRefused(withGossip(workerSwarmInfo(worker, this.worker !== undefined), this.worker?.gossipInfo()), this.worker?.dnsRefused() ?? []);
    return inactiveSwarm(this.config.advertiseAddr);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pendingWorker = undefined;
    this.wakeRetry();
    await this.busy.catch(() => {});
    await this.workerStarting;
    const rt = this.runtime;
    const worker = this.worker;
    this.worker = undefined;
    if (rt) await this.dropManager(rt);
    await worker?.stop();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.busy.catch(() => {}).then(work);
    this.busy = next;
    return next;
  }

  private async doInit(options: SwarmInitOptions): Promise<ManagerRuntime> {
    if (this.runtime || this.worker || this.pendingWorker || (await readSwarmState(this.files))) throw alreadyInSwarm();
    let advertise: { host: string; port: number | undefined };
    let listen: { host: string; port: number };
    try {
      advertise = resolveAdvertiseAddr(options.advertiseAddr || this.config.advertiseAddr);
      listen = resolveListenAddr(options.listenAddr);
    } catch (err) {
      if (err instanceof SwarmInputError) throw invalidArgument(err.message);
      throw err;
    }
    const clusterSpec = (() => {
      try {
        return validateClusterSpec({ annotations: { name: 'default', labels: {} }, caConfig: options.certExpiryMs > 0 ? { nodeCertExpiryMs: options.certExpiryMs, externalCas: [] } : undefined, networkPool: networkPoolForInit(options) });
      } catch (err) {
        throw invalidArgument((err as Error).message);
      }
    })();

    const clusterId = newId();
    const nodeId = newNodeId();
    const rootCa = createRootCa({ clusterId });
    const creds = issueLocalNodeCredentials({
      rootCa,
      clusterId,
      nodeId,
      role: NodeRole.NODE_ROLE_MANAGER,
      // nats.js checks a TLS server dialled by IP against the name "localhost" (it cannot send an IP
      // as SNI and the bus offers no checkServerIdentity hook), so manager certificates carry it too.
      addresses: [advertise.host, 'localhost'],
      ...(clusterSpec.caConfig?.nodeCertExpiryMs ? { expiryMs: clusterSpec.caConfig.nodeCertExpiryMs } : {}),
    });
    const listenPort = listen.port === 0 ? await pickFreePort(listen.host) : listen.port;
    const state: SwarmState = {
      clusterId,
      nodeId,
      role: NodeRole.NODE_ROLE_MANAGER,
      // Derived from the node id like every other manager's, so a demoted first manager can still be
      // told apart among the Raft voters once its Node object no longer names its Raft id.
      raftId: raftIdForNode(nodeId),
      advertiseHost: advertise.host,
      listenAddr: `${listen.host}:${listenPort}`,
      natsPort: this.natsPorts.client === 0 ? await pickFreePort(advertise.host) : this.natsPorts.client,
      natsClusterPort: this.natsPorts.cluster === 0 ? await pickFreePort(advertise.host) : this.natsPorts.cluster,
      natsServers: [],
    };
    const log = this.log.child({ nodeId, clusterId });
    // Leftovers of an init that crashed before writing its state file are not a swarm.
    await removeSwarmFiles(this.files);
    await writeNodePems(this.files, { certPem: creds.certPem, keyPem: creds.keyPem, caCertPem: rootCa.certPem, caKeyPem: rootCa.keyPem });
    let runtime: ManagerRuntime | undefined;
    try {
      const managerAddr = `${advertise.host}:${advertise.port ?? listenPort}`;
      const cluster = createInitCluster(clusterId, clusterSpec, rootCa);
      const node = withTlsInfo(
        createInitNode({ nodeId, hostname: this.config.nodeName, labels: { ...this.config.labels }, raftId: state.raftId, managerAddr, nodeAddr: advertise.host }),
        { ...issuedCertificate(creds.certPem), role: NodeRole.NODE_ROLE_MANAGER },
      );
      runtime = await startManagerRuntime(this.config, this.files, state, log, {
        kind: 'init',
        initialize: async (member) => {
          await writeStore(member, (_view, tx) => {
            tx.create('cluster', cluster);
            tx.create('node', node);
            tx.create('network', ingressNetworkForInit());
          });
        },
      }, this.managerPortServices);
      await writeSwarmState(this.files, state);
      this.adoptManager(runtime);
      log.info({ managerAddr: runtime.managerAddr }, 'swarm initialised');
      return runtime;
    } catch (err) {
      await runtime?.stop();
      await removeSwarmFiles(this.files);
      throw err;
    }
  }
}
