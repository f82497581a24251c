import { rm } from 'node:fs/promises';
import { NodeRole, type Node } from '@flotilla/api';
import { renewNodeCertificate, type NodeCredentials } from '@flotilla/ca';
import type { SwarmFiles, SwarmState } from './swarm-state.js';
import { readNodePems, writeNodePems } from './swarm-state.js';
import { raftIdForNode } from '../manager/raft-ids.js';

function hostOf(addr: string): string {
  return addr.includes(':') ? addr.slice(0, addr.lastIndexOf(':')) : addr;
}

/** The other managers' join/CA addresses (host:port), as the store knows them. Pure. */
export function otherManagerAddrs(nodes: Iterable<Node>, selfId: string): string[] {
  return [...nodes]
    .filter((n) => n.id !== selfId && n.role === NodeRole.NODE_ROLE_MANAGER && (n.managerStatus?.addr ?? '') !== '')
    .map((n) => n.managerStatus!.addr);
}

/**
 * A demoted manager's state as a worker: it talks to the other managers' NATS servers (the port
 * every manager shares, like 4222) and renews through the first of them. Pure.
 */
export function workerStateAfterDemotion(manager: SwarmState, managerAddrs: readonly string[]): SwarmState {
  if (managerAddrs.length === 0) throw new Error(`node ${manager.nodeId} cannot become a worker: no other manager is known`);
  return {
    clusterId: manager.clusterId,
    nodeId: manager.nodeId,
    role: NodeRole.NODE_ROLE_WORKER,
    raftId: 0,
    advertiseHost: manager.advertiseHost,
    listenAddr: '',
    natsPort: 0,
    natsClusterPort: 0,
    natsServers: managerAddrs.map((a) => `tls://${hostOf(a)}:${manager.natsPort}`),
    joinedVia: managerAddrs[0]!,
  };
}

/**
 * A promoted worker's state as a manager, built like a manager that joined through the manager it
 * joined through: the same join, NATS and route ports on its own address, its Raft id derived from
 * its node id, a first route to that manager (the runtime adds the others once it has the store). Pure.
 */
export function managerStateAfterPromotion(worker: SwarmState, ports: { client: number; cluster: number }): SwarmState {
  const via = worker.joinedVia ?? '';
  if (!/:\d+$/.test(via)) throw new Error(`node ${worker.nodeId} cannot become a manager: it does not know the manager it joined through`);
  if (ports.cluster === 0) throw new Error('becoming a manager needs a fixed --nats-cluster-port (the route port every manager uses), not 0');
  const natsUrl = worker.natsServers[0] ?? '';
  const natsPort = ports.client !== 0 ? ports.client : Number(natsUrl.slice(natsUrl.lastIndexOf(':') + 1));
  if (!Number.isInteger(natsPort) || natsPort <= 0) throw new Error(`node ${worker.nodeId} cannot become a manager: no NATS client port is known`);
  return {
    clusterId: worker.clusterId,
    nodeId: worker.nodeId,
    role: NodeRole.NODE_ROLE_MANAGER,
    raftId: raftIdForNode(worker.nodeId),
    advertiseHost: worker.advertiseHost,
    listenAddr: `${worker.advertiseHost}:${via.slice(via.lastIndexOf(':') + 1)}`,
    natsPort,
    natsClusterPort: ports.cluster,
    natsServers: [],
    natsRoutes: [`nats-route://${hostOf(via)}:${ports.cluster}`],
    joinedVia: via,
  };
}

/**
 * Renews this node's certificate at the first manager in `addrs` that answers; the CA issues the role
 * the cluster holds now. Refuses a certificate of another role than `expected` (the change has not
 * reached that manager's store yet; the caller tries again later).
 */
export async function renewForRole(files: SwarmFiles, state: SwarmState, addrs: readonly string[], expected: NodeRole): Promise<NodeCredentials> {
  const pems = await readNodePems(files);
  const current: NodeCredentials = { nodeId: state.nodeId, role: state.role as NodeCredentials['role'], certPem: pems.certPem, keyPem: pems.keyPem, caCertPem: pems.caCertPem };
  const failures: string[] = [];
  for (const addr of addrs) {
    try {
      // 'localhost' as for init and join: a manager's own bus dials its nats-server by IP.
      const renewed = await renewNodeCertificate({ addr, current, addresses: [state.advertiseHost, 'localhost'] });
      if (renewed.role !== expected) throw new Error(`the certificate issued still has role ${renewed.role}`);
      return renewed;
    } catch (err) {
      failures.push(`${addr}: ${(err as Error).message}`);
    }
  }
  throw new Error(`renewing the certificate of node ${state.nodeId} for role ${expected} failed (${failures.join('; ')})`);
}

/** Keeps the new certificate (the root CA stays) and forgets what only the old role had. */
export async function switchCertificate(files: SwarmFiles, creds: NodeCredentials, to: NodeRole): Promise<void> {
  await writeNodePems(files, { certPem: creds.certPem, keyPem: creds.keyPem, caCertPem: creds.caCertPem });
  // The Raft log and nats-server files belong to a manager; a worker keeps no copy of the CA key.
  // A promoted node starts from an empty Raft member (the leader sends it the log), so any old ones go too.
  await rm(files.raftDir, { recursive: true, force: true });
  await rm(files.natsDir, { recursive: true, force: true });
  if (to === NodeRole.NODE_ROLE_WORKER) await rm(files.caKey, { force: true });
}
