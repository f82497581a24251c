import { NodeRole, NodeState, type Node } from '@flotilla/api';
import { ControlError, invalidArgument } from './control-error.js';
import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Why `node rm` must refuse this node, as docker words it, or undefined when it may go.
 * A manager is refused even with --force: deleting it would leave a Raft member with no Node
 * object. Except a denied one (`denied`: the cluster's list): a manager dropped by `swarm init
 * --force-new-cluster` is no Raft member any more, and goes like a worker (Down, or --force).
 */
export function nodeRemovalRefusal(node: Node, force: boolean, denied: readonly string[]): ControlError | undefined {
  const name = node.description?.hostname || node.id;
  const raftMember = !denied.includes(node.id);
  if (raftMember && (node.role === NodeRole.NODE_ROLE_MANAGER || node.spec?.desiredRole === NodeRole.NODE_ROLE_MANAGER)) {
    return new ControlError(
      GrpcStatus.FAILED_PRECONDITION,
      `node ${name} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
    );
  }
  const state = node.status?.state ?? NodeState.NODE_STATE_UNKNOWN;
  if (!force && state !== NodeState.NODE_STATE_DOWN) {
    return new ControlError(GrpcStatus.FAILED_PRECONDITION, `node ${name} is not down and can't be removed (use --force to remove it anyway)`);
  }
  return undefined;
}

/** The denied list after removing `nodeId`: each id once, so repeated removals change nothing. */
export function denyNode(denied: readonly string[], nodeId: string): string[] {
  if (nodeId === '') throw invalidArgument('a node ID is required');
  return denied.includes(nodeId) ? [...denied] : [...denied, nodeId];
}
