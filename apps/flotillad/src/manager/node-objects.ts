import {
  NodeAvailability,
  NodeRole,
  NodeState,
  ReachabilityState,
  type Node,
} from '@flotilla/api';
import type { CertRole } from '@flotilla/ca';

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

/** A node that joined through the CA: known by id and role until its agent describes it. */
export function createJoinedNode(nodeId: string, role: CertRole, addresses: readonly string[]): Node {
  return {
    id: nodeId,
    spec: { annotations: { name: '', labels: {} }, desiredRole: role, availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE },
    status: { state: NodeState.NODE_STATE_UNKNOWN, message: '', addr: addresses[0] ?? '' },
    role,
  };
}
