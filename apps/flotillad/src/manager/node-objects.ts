import {
  NodeAvailability,
  NodeRole,
  NodeState,
  ReachabilityState,
  type Node,
} from '@flotilla/api';
import { nextManagerKeys, type CertRole, type IssuedCertificate, type KeyedCertificate } from '@flotilla/ca';
import { raftIdForNode } from './raft-ids.js';

/** The first manager's Node object, written by `swarm init`. */
export function createInitNode(options: { nodeId: string; hostname: string; labels: Record<string, string>; raftId: number; managerAddr: string; nodeAddr: string }): Node {
  return {
    id: options.nodeId,
    spec: { annotations: { name: '', labels: {} }, desiredRole: NodeRole.NODE_ROLE_MANAGER, availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE },
    description: { hostname: options.hostname, engine: { engineVersion: '', labels: { ...options.labels }, plugins: [] } },
    status: { state: NodeState.NODE_STATE_UNKNOWN, message: '', addr: options.nodeAddr },
    managerStatus: { raftId: options.raftId, addr: options.managerAddr, leader: true, reachability: ReachabilityState.REACHABILITY_REACHABLE },
    role: NodeRole.NODE_ROLE_MANAGER,
  };
}

/**
 * A node that joined through the CA: known by id and role until its agent describes it. A manager
 * also gets its Raft id (derived from the node id, see raft-ids.ts) and its join/CA address
 * (its own advertise address on the same port as ours), so the leader can add it as a voter.
 */
export function createJoinedNode(nodeId: string, role: CertRole, addresses: readonly string[], managerPort?: number): Node {
  const addr = addresses[0] ?? '';
  return {
    id: nodeId,
    spec: { annotations: { name: '', labels: {} }, desiredRole: role, availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE },
    status: { state: NodeState.NODE_STATE_UNKNOWN, message: '', addr },
    ...(role === NodeRole.NODE_ROLE_MANAGER
      ? { managerStatus: { raftId: raftIdForNode(nodeId), addr: managerPort ? `${addr}:${managerPort}` : addr, leader: false, reachability: ReachabilityState.REACHABILITY_REACHABLE } }
      : {}),
    role,
  };
}

/**
 * A worker that renewed its certificate as a manager after a promotion: a manager from now on,
 * with the Raft id derived from its node id and its join/CA address on the managers' port, like a
 * manager that joined. `addresses` are the ones it asked its certificate for (advertised first).
 */
export function promotedNode(node: Node, addresses: readonly string[], managerPort: number): Node {
  const host = addresses[0] || node.status?.addr || '';
  return {
    ...node,
    role: NodeRole.NODE_ROLE_MANAGER,
    managerStatus: { raftId: raftIdForNode(node.id), addr: `${host}:${managerPort}`, leader: false, reachability: ReachabilityState.REACHABILITY_REACHABLE },
  };
}

/** A certificate the CA issued: its facts and the role it carries. */
export type IssuedToNode = IssuedCertificate & { role: CertRole };

/**
 * The node with the TLS info of the certificate the CA just issued it: what `node inspect` shows,
 * and the manager keys the managers' nats-servers pin for routes (see @flotilla/ca
 * nextManagerKeys). `renewedWith` is the certificate the node renewed with (its key may still be
 * in use on routes); absent for a join.
 */
export function withTlsInfo(node: Node, issued: IssuedToNode, renewedWith?: KeyedCertificate, nowMs = Date.now()): Node {
  const managerKeys = nextManagerKeys(node.tlsInfo?.managerKeys ?? [], { publicKeySha256: issued.publicKeySha256, notAfterMs: issued.certNotAfterMs, role: issued.role }, renewedWith, nowMs);
  return {
    ...node,
    tlsInfo: { certIssuerSubject: issued.certIssuerSubject, certNotAfter: issued.certNotAfterMs, publicKeySha256: issued.publicKeySha256, managerKeys },
  };
}

/**
 * The node after the CA renewed its certificate: with the new certificate's TLS info and manager
 * keys, and made a manager when it renewed as one while the store still has it as a worker (a
 * promotion).
 */
export function renewedNode(
  node: Node,
  renewed: IssuedToNode & { addresses: readonly string[]; previousRole: CertRole; renewedWith: { publicKeySha256: string; notAfterMs: number } },
  managerPort: number,
  nowMs = Date.now(),
): { node: Node; promoted: boolean } {
  const promoted = renewed.role === NodeRole.NODE_ROLE_MANAGER && node.role !== NodeRole.NODE_ROLE_MANAGER;
  const base = promoted ? promotedNode(node, renewed.addresses, managerPort) : node;
  return { node: withTlsInfo(base, renewed, { ...renewed.renewedWith, role: renewed.previousRole }, nowMs), promoted };
}
