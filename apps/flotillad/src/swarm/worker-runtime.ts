import { readFile } from 'node:fs/promises';
import { Agent } from '@flotilla/agent';
import { Node as NodeMessage, type GossipInfo, type Node, type RefusalCount } from '@flotilla/api';
import type { NodeCredentials } from '@flotilla/ca';
import { BusConnectError, clusterSubjects, connectBus, subscribeMessages, type BusConnection } from '@flotilla/bus';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { NodeGossip } from '../gossip/node-gossip.js';
import { startNodeLb } from '../node-lb/node-lb.js';
import { gossipInfo, startNodeNetworkDb } from '../networkdb/node-networkdb.js';
import { startLocalAgent } from './local-agent.js';
import { workerPlugins } from '../plugins/node-plugins.js';
import { reloadBusTls } from './bus-tls.js';
import { followRotationNotices } from './rotation-notices.js';
import { finishInterruptedRenewal, renewAfterMsFrom, startNodeCertRenewal, workerRenewalAddrs } from './cert-renewal.js';
import { followManagers } from './worker-managers.js';
import type { SwarmFiles, SwarmState } from './swarm-state.js';

/** A worker node: only the agent, talking to the managers' NATS servers with its own certificate. */
export interface WorkerRuntime {
  readonly state: SwarmState;
  /** `info`'s gossip figures; undefined until the gossip member runs. */
  gossipInfo(): GossipInfo | undefined;
  /** What this node's embedded DNS servers refused, by cause (empty without a load balancer). */
  dnsRefused(): RefusalCount[];
  stop(): Promise<void>;
}

const CONNECT_DEADLINE_MS = 30_000;

/** Told whenever the leader pushes this node its Node object (a promotion waiting for it). */
export type RoleNoticeHandler = (node: Node) => void;

export async function startWorkerRuntime(config: DaemonConfig, files: SwarmFiles, state: SwarmState, log: Logger, onRoleNotice?: RoleNoticeHandler): Promise<WorkerRuntime> {
  const log0 = log.child({ nodeId: state.nodeId, clusterId: state.clusterId });
  const subjects = clusterSubjects(state.clusterId);
  const renewAfterMs = renewAfterMsFrom(process.env);
  await finishInterruptedRenewal(files, log0);
  const tls = {
    ca: await readFile(files.caCert, 'utf8'),
    cert: await readFile(files.nodeCert, 'utf8'),
    key: await readFile(files.nodeKey, 'utf8'),
  };
  const bus = await connectWithRetry(
    () =>
      connectBus({
        servers: [...state.natsServers],
        tls,
        name: `flotillad ${config.nodeName}`,
        inboxPrefix: subjects.node.inboxPrefix(state.nodeId),
        logger: log0.child({ component: 'bus' }),
      }),
    log0,
  );
  // The managers this worker knows follow its heartbeats and are kept on disk for a restart.
  const managers = followManagers(files, state, log0);
  let agent: Agent | undefined;
  const plugins = workerPlugins(config, state.nodeId, bus, subjects, () => agent?.sessionId, log0);
  try {
    agent = await startLocalAgent({ config, nodeId: state.nodeId, advertiseHost: state.advertiseHost, bus, subjects, dataDir: files.agentDir, log: log0, onManagers: (addrs) => managers.update(addrs), volumeDrivers: plugins.volumeAccess });
  } catch (err) {
    await bus.close();
    throw err;
  }
  const nodeLb = await startNodeLb(agent, { nodeId: state.nodeId, advertiseHost: state.advertiseHost, dataDir: files.agentDir, log: log0 });
  const notices = onRoleNotice
    ? subscribeMessages(bus.nc, subjects.node.role(state.nodeId), NodeMessage, (node) => {
        if (node.id === state.nodeId) onRoleNotice(node);
      }, { logger: log0.child({ component: 'role-notices' }) })
    : undefined;
  const gossip = new NodeGossip({ nodeId: state.nodeId, host: state.advertiseHost, nc: bus.nc, subjects, sessionId: () => agent.sessionId, log: log0, probeIntervalMs: config.gossipProbeIntervalMs });
  gossip.start();
  const networkDb = startNodeNetworkDb({ nodeId: state.nodeId, vtepAddr: state.advertiseHost, networking: agent.networking, gossip, lbRuns: nodeLb !== undefined, log: log0 });
  const renewal = startNodeCertRenewal(
    {
      files,
      state,
      managerAddrs: () => workerRenewalAddrs(managers.state),
      applyTls: (creds) => reloadBusTls(bus.nc, { ca: creds.caCertPem, cert: creds.certPem, key: creds.keyPem }),
      log: log0.child({ component: 'cert-renewal' }),
      renewAfterMs,
    },
    { nodeId: state.nodeId, role: state.role as NodeCredentials['role'], certPem: tls.cert, keyPem: tls.key, caCertPem: tls.ca },
  );
  const rotationNotices = followRotationNotices(bus.nc, subjects, state.nodeId, renewal, log0.child({ component: 'cert-renewal' }));
  log0.info({ nats: state.natsServers }, 'worker running');
  let stopping: Promise<void> | undefined;
  return {
    get state() {
      return managers.state;
    },
    gossipInfo: () => gossipInfo(gossip, networkDb),
    dnsRefused: () => nodeLb?.dnsRefused() ?? [],
    stop: () =>
      (stopping ??= (async () => {
        await rotationNotices.stop();
        await renewal.stop();
        await notices?.stop();
        networkDb?.stop();
        await gossip.stop();
        await nodeLb?.stop();
        await agent.stop();
        await plugins.stop();
        await managers.stop();
        await bus.close();
      })()),
  };
}

/**
 * Right after a join the managers' nats-server may not list the new node's user yet (the
 * node is written to the store, then the server reloads): a refused first connect is retried.
 */
async function connectWithRetry(connect: () => Promise<BusConnection>, log: Logger): Promise<BusConnection> {
  const deadline = Date.now() + CONNECT_DEADLINE_MS;
  let delay = 100;
  for (;;) {
    try {
      return await connect();
    } catch (err) {
      if (!(err instanceof BusConnectError) || Date.now() + delay > deadline) throw err;
      log.info({ err: err.message, retryInMs: delay }, 'NATS refused or unreachable; retrying');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
