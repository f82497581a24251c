import {
  NodeAvailability,
  NodeRole,
  NodeState,
  ReachabilityState,
  type Node,
} from '@flotilla/api';
import type { CertRole, IssuedCertificate } from '@flotilla/ca';
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
 * and the key (with the role it was issued for) the managers' nats-servers pin for routes.
 * `renewedWith` is the certificate the node renewed with, whose key its routes may still use.
 */
export function withTlsInfo(node: Node, issued: IssuedToNode, renewedWith?: { publicKeySha256: string; role: CertRole }): Node {
  return {
    ...node,
    tlsInfo: {
      certIssuerSubject: issued.certIssuerSubject,
      certNotAfter: issued.certNotAfterMs,
      publicKeySha256: issued.publicKeySha256,
      certRole: issued.role,
      previousPublicKeySha256: renewedWith?.publicKeySha256 ?? '',
      previousCertRole: renewedWith?.role ?? NodeRole.NODE_ROLE_WORKER,
    },
  };
}

/**
 * The node after the CA renewed its certificate: with the new certificate's TLS info (and the key
 * it renewed with), and made a manager when it renewed as one while the store still has it as a
 * worker (a promotion).
 */
export function renewedNode(
  node: Node,
  renewed: IssuedToNode & { addresses: readonly string[]; previousRole: CertRole; previousPublicKeySha256: string },
  managerPort: number,
): { node: Node; promoted: boolean } {
  const promoted = renewed.role === NodeRole.NODE_ROLE_MANAGER && node.role !== NodeRole.NODE_ROLE_MANAGER;
  const base = promoted ? promotedNode(node, renewed.addresses, managerPort) : node;
  return { node: withTlsInfo(base, renewed, { publicKeySha256: renewed.previousPublicKeySha256, role: renewed.previousRole }), promoted };
}
