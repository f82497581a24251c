import { NodeRole, type Node } from '@flotilla/api';
import type { ClusterSubjects, NatsUser } from '@flotilla/bus';
import { natsRouteKeys, natsUsers, serviceNatsUser, serviceNatsUsers, type CertRole } from '@flotilla/ca';
import { PROCESS_SERVICES } from '../services/service-selection.js';
import { raftIdForNode } from './raft-ids.js';

/**
 * nats-server users for the nodes in the store: one user per node, named by node ID (every node
 * certificate carries it as a DNS SAN, for verify_and_map), removed nodes left out, with the one
 * definition of each role's subject rules (@flotilla/ca natsUsers, built on the bus's rules);
 * then one user per manager service, for `flotillad service <name>` processes (issue 16: only the
 * CA issues a certificate that maps to one, and only for the service join token).
 */
export function natsUsersFor(subjects: ClusterSubjects, nodes: Iterable<Node>, deniedIds: readonly string[], selfId: string): NatsUser[] {
  const entries = [...nodes].flatMap((n) => {
    const role = asCertRole(n.role);
    return role && n.id !== selfId ? [{ nodeId: n.id, role }] : [];
  });
  // This server's own flotillad is a manager for as long as it runs one, even once the store marks it
  // a worker (a demotion): its Raft member must keep talking until it is out of the voters.
  entries.push({ nodeId: selfId, role: NodeRole.NODE_ROLE_MANAGER });
  const services = serviceNatsUsers(subjects).filter((u) => PROCESS_SERVICES.some((s) => u.user === serviceNatsUser(s)));
  return [...natsUsers(subjects, entries, deniedIds), ...services];
}

/** Ids of the nodes whose Raft id (recorded, or derived from the node id) is among `voters`. Pure. */
export function votingNodeIds(nodes: Iterable<Node>, voters: readonly number[]): string[] {
  const voterIds = new Set(voters);
  return [...nodes].filter((n) => voterIds.has(n.managerStatus?.raftId || raftIdForNode(n.id))).map((n) => n.id);
}

/**
 * The keys this manager's nats-server accepts routes from (@flotilla/ca natsRouteKeys): the
 * managers' and its own. A node that is no manager any more but still counted as voting (a
 * demotion or a leave being committed, see NatsSync's grace) keeps its manager keys pinned.
 */
export function natsRouteKeysFor(nodes: Iterable<Node>, deniedIds: readonly string[], voting: Iterable<string>, ownKey: string, nowMs = Date.now()): string[] {
  return natsRouteKeys(nodes, { nowMs, deniedNodeIds: deniedIds, votingNodeIds: voting, ownKeys: [ownKey] });
}

export function asCertRole(role: NodeRole | undefined): CertRole | undefined {
  return role === NodeRole.NODE_ROLE_MANAGER || role === NodeRole.NODE_ROLE_WORKER ? role : undefined;
}

/**
 * Whether a node may make manager-only calls on the managers' port now: the store has it as a
 * manager and no demotion is asked for. Its manager certificate alone is not enough: that stays
 * valid after a demotion until it expires. Pure.
 */
export function isManagerNow(node: Node | undefined): boolean {
  return node?.role === NodeRole.NODE_ROLE_MANAGER && node.spec?.desiredRole !== NodeRole.NODE_ROLE_WORKER;
}
