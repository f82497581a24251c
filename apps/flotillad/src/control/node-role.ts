import { NodeRole, NodeState, type Node } from '@flotilla/api';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { majorityOf } from '../manager/quorum.js';
import { ControlError, invalidArgument } from './control-error.js';

/** A manager now, or one the operator asked for (a promotion on its way counts: it takes a vote). */
function isOrBecomesManager(n: Node): boolean {
  return n.role === NodeRole.NODE_ROLE_MANAGER && n.spec?.desiredRole !== NodeRole.NODE_ROLE_WORKER;
}

/**
 * Why setting `node`'s desired role to `role` must be refused, or undefined when it may change.
 * Demotion takes a Raft voter away: never the last manager, and never when the managers left
 * that are reachable (their node Ready, i.e. heartbeating) would be fewer than a majority of them.
 * Denied managers (`denied`: dropped by `swarm init --force-new-cluster`) hold no vote: not counted.
 * The leader removes the demoted voter with the same guard (manager/voter-plan.ts voterRemovals),
 * whether or not the node is up.
 */
export function roleChangeRefusal(nodes: Iterable<Node>, node: Node, role: NodeRole, denied: readonly string[]): ControlError | undefined {
  if (role !== NodeRole.NODE_ROLE_MANAGER && role !== NodeRole.NODE_ROLE_WORKER) {
    return invalidArgument(`invalid role ${String(role)}: expected manager or worker`);
  }
  if (role === NodeRole.NODE_ROLE_MANAGER || !isOrBecomesManager(node)) return undefined;
  const remaining = [...nodes].filter((n) => n.id !== node.id && isOrBecomesManager(n) && !denied.includes(n.id));
  if (remaining.length === 0) return new ControlError(GrpcStatus.FAILED_PRECONDITION, 'cannot demote the last manager of the swarm');
  const reachable = remaining.filter((n) => n.status?.state === NodeState.NODE_STATE_READY).length;
  if (reachable < majorityOf(remaining.length)) {
    return new ControlError(
      GrpcStatus.FAILED_PRECONDITION,
      `cannot demote ${node.description?.hostname || node.id}: only ${reachable} of the ${remaining.length} other managers are reachable, and the swarm would lose quorum`,
    );
  }
  return undefined;
}
