import { NodeRole, type Node } from '@flotilla/api';
import { managerPermissions, workerPermissions, type ClusterSubjects, type NatsUser } from '@flotilla/bus';
import { natsPermissionPolicy, type CertRole } from '@flotilla/ca';

/**
 * nats-server users for the nodes in the store. The user list (one user per node, named by
 * node ID, which every node certificate carries as a DNS SAN for verify_and_map; removed nodes
 * left out) comes from the CA's policy; the subject rules come from the bus, whose worker rules
 * tie each dispatcher subject to the sender's own node id.
 */
export function natsUsersFor(clusterId: string, subjects: ClusterSubjects, nodes: Iterable<Node>, deniedIds: readonly string[], selfId: string): NatsUser[] {
  const entries = [...nodes].flatMap((n) => {
    const role = asCertRole(n.role);
    return role && n.id !== selfId ? [{ nodeId: n.id, role }] : [];
  });
  // This server's own flotillad is a manager for as long as it runs one, even once the store marks it
  // a worker (a demotion): its Raft member must keep talking until it is out of the voters.
  entries.push({ nodeId: selfId, role: NodeRole.NODE_ROLE_MANAGER });
  return natsPermissionPolicy(clusterId, entries, deniedIds).map((u) => {
    const role = entries.find((e) => e.nodeId === u.user)?.role;
    return {
      user: u.user,
      permissions: role === NodeRole.NODE_ROLE_MANAGER ? managerPermissions(subjects) : workerPermissions(subjects, u.user),
    };
  });
}

export function asCertRole(role: NodeRole | undefined): CertRole | undefined {
  return role === NodeRole.NODE_ROLE_MANAGER || role === NodeRole.NODE_ROLE_WORKER ? role : undefined;
}
