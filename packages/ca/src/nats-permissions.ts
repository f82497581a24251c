import { NodeRole } from '@flotilla/api';
import { CaError } from './errors.js';
import { isValidNodeId } from './ids.js';
import { CertRole } from './roles.js';

/**
 * NATS authorization that follows the node certificates. Plain data shaped
 * like nats-server's `authorization { users = [...] }` block, so the bus's
 * nats-server supervisor can write it out without knowing about certificates.
 * With `tls { verify_and_map: true }` nats-server maps a client certificate to
 * the user named after one of its DNS SANs, and every node certificate carries
 * its node ID as a DNS SAN, so the user name is simply the node ID.
 */
export interface NatsPermissionRule {
  allow: string[];
}

export interface NatsUserPermissions {
  publish: NatsPermissionRule;
  subscribe: NatsPermissionRule;
  /** Lets a worker answer requests sent to it (publishing to the requester's one-off reply subject). */
  allow_responses?: boolean;
}

export interface NatsUser {
  user: string;
  permissions: NatsUserPermissions;
}

export interface NatsNodeEntry {
  nodeId: string;
  role: CertRole;
}

/** The prefix a worker must use for its request inboxes (nats.js `inboxPrefix`), so no node can read another's replies. */
export function workerInboxPrefix(nodeId: string): string {
  return `_INBOX.${nodeId}`;
}

function checkSubjectToken(value: string, what: string): void {
  // A wildcard or dot in an ID would widen the permission to other subjects.
  if (!/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new CaError('invalid-argument', `building NATS permissions: ${what} "${value}" may contain only letters, digits, "_" and "-"`);
  }
}

export function natsPermissionsFor(clusterId: string, node: NatsNodeEntry): NatsUser {
  checkSubjectToken(clusterId, 'cluster ID');
  if (!isValidNodeId(node.nodeId)) {
    throw new CaError('invalid-argument', `building NATS permissions: "${node.nodeId}" is not a valid node ID`);
  }
  if (node.role === NodeRole.NODE_ROLE_MANAGER) {
    return { user: node.nodeId, permissions: { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } } };
  }
  if (node.role !== NodeRole.NODE_ROLE_WORKER) {
    throw new CaError('invalid-argument', `building NATS permissions for node ${node.nodeId}: unknown role ${String(node.role)}`);
  }
  return {
    user: node.nodeId,
    permissions: {
      // Logs go out under the worker's own id, so a manager can trust whose logs it hears.
      publish: { allow: [`flt.${clusterId}.dispatcher.>`, `flt.${clusterId}.logs.${node.nodeId}.*`] },
      subscribe: { allow: [`flt.${clusterId}.node.${node.nodeId}.>`, `${workerInboxPrefix(node.nodeId)}.>`] },
      allow_responses: true,
    },
  };
}

/** One user per node; denied (removed) nodes get no user, so nats-server refuses their certificates. */
export function natsPermissionPolicy(clusterId: string, nodes: readonly NatsNodeEntry[], deniedIds: Iterable<string> = []): NatsUser[] {
  const denied = new Set(deniedIds);
  const seen = new Set<string>();
  const users: NatsUser[] = [];
  for (const node of nodes) {
    if (denied.has(node.nodeId) || seen.has(node.nodeId)) continue;
    seen.add(node.nodeId);
    users.push(natsPermissionsFor(clusterId, node));
  }
  return users.sort((a, b) => a.user.localeCompare(b.user));
}
