import { NodeRole, type Node } from '@flotilla/api';

/**
 * The managers that are part of the swarm now: manager nodes that are not denied. A manager
 * dropped by `swarm init --force-new-cluster` (or `swarm restore`) keeps its Node object, listed
 * Down as docker does, but is denied and holds no vote: it is no manager of this swarm any more
 * (docker counts Raft members). Pure.
 */
export function currentManagers(nodes: Iterable<Node>, denied: readonly string[]): Node[] {
  const refused = new Set(denied);
  return [...nodes].filter((n) => n.role === NodeRole.NODE_ROLE_MANAGER && !refused.has(n.id));
}
