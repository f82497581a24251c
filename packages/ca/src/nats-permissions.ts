import { NodeRole } from '@flotilla/api';
import { managerPermissions, workerPermissions, type ClusterSubjects, type NatsUser } from '@flotilla/bus';
import { isDenied } from './deny.js';
import { CaError } from './errors.js';
import { isValidNodeId } from './ids.js';
import { CertRole } from './roles.js';

export interface NatsNodeEntry {
  nodeId: string;
  role: CertRole;
}

/**
 * The nats-server users of a cluster: one per node, named by node ID (every node certificate
 * carries it as a DNS SAN, which `tls { verify_and_map: true }` maps to the user), with the bus's
 * subject rules for its role — the one definition of who may publish and subscribe what: a worker
 * only its own dispatcher and log subjects and its own `node.<id>` subtree, a manager its cluster.
 * Denied (removed) nodes get no user, so nats-server refuses their certificates. Sorted by user;
 * a node listed twice counts once. Pure.
 */
export function natsUsers(subjects: ClusterSubjects, nodes: readonly NatsNodeEntry[], deniedIds: Iterable<string> = []): NatsUser[] {
  const denied = new Set(deniedIds);
  const users = new Map<string, NatsUser>();
  for (const node of nodes) {
    if (isDenied(node.nodeId, denied) || users.has(node.nodeId)) continue;
    if (!isValidNodeId(node.nodeId)) {
      throw new CaError('invalid-argument', `building NATS permissions: "${node.nodeId}" is not a valid node ID`);
    }
    if (node.role !== NodeRole.NODE_ROLE_MANAGER && node.role !== NodeRole.NODE_ROLE_WORKER) {
      throw new CaError('invalid-argument', `building NATS permissions for node ${node.nodeId}: unknown role ${String(node.role)}`);
    }
    const permissions = node.role === NodeRole.NODE_ROLE_MANAGER ? managerPermissions(subjects) : workerPermissions(subjects, node.nodeId);
    users.set(node.nodeId, { user: node.nodeId, permissions });
  }
  return [...users.values()].sort((a, b) => a.user.localeCompare(b.user));
}
