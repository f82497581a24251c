import { NodeRole, NodeState, type Node } from '@flotilla/api';
import { majorityOf } from './quorum.js';
import { raftIdForNode } from './raft-ids.js';

/** The Raft id a node votes with: the one recorded in its manager status, else the one derived from its id. */
function raftIdOf(node: Node): number {
  return node.managerStatus?.raftId || raftIdForNode(node.id);
}

/** A manager node the operator still wants as one (a demotion asked for takes its vote away). */
function wantedManager(node: Node): boolean {
  return node.role === NodeRole.NODE_ROLE_MANAGER && node.spec?.desiredRole !== NodeRole.NODE_ROLE_WORKER;
}

/**
 * Raft ids of the manager nodes in the store that are not voters yet. A denied node never
 * becomes one: a removed node, or a manager dropped by `swarm init --force-new-cluster` (its Node
 * object stays, its vote must not come back); nor a manager being demoted (its removal may
 * already be applied, and adding it back would undo it). Pure.
 */
export function missingVoters(nodes: Iterable<Node>, voters: readonly number[], denied: readonly string[]): number[] {
  const have = new Set(voters);
  const refused = new Set(denied);
  const missing: number[] = [];
  for (const n of nodes) {
    const id = n.managerStatus?.raftId ?? 0;
    if (wantedManager(n) && id > 0 && !have.has(id) && !refused.has(n.id)) missing.push(id);
  }
  return missing;
}

export interface VoterRemovals {
  /** To remove now, one after the other, in this order (unreachable voters first). */
  remove: number[];
  /** Wanted out, but removing them would leave the reachable voters short of a majority: later. */
  held: number[];
}

/**
 * Voters (never `self`, the leader: it hands leadership over first) that no manager node wanted
 * as one stands for any more: a node gone, no manager (left the swarm), or asked to become a
 * worker (`node demote`), whether or not that node is up to carry its demotion out itself — a
 * manager demoted while down must not stay a voter (and pinned as a NATS route peer) until it
 * comes back. Docker's role manager does the same.
 *
 * Quorum guard (the rule `node demote` applies when asked, see control/node-role.ts, checked
 * again here because nodes may have gone down since): a voter is removed only if the voters left
 * that are reachable (the leader itself, or their node Ready) are still a majority of them.
 * Removing an unreachable voter never fails that check while the group has a quorum; so they go
 * first. Pure.
 */
export function voterRemovals(nodes: Iterable<Node>, voters: readonly number[], self: number): VoterRemovals {
  const byRaftId = new Map<number, Node>();
  for (const n of nodes) byRaftId.set(raftIdOf(n), n);
  const reachable = (v: number): boolean => v === self || byRaftId.get(v)?.status?.state === NodeState.NODE_STATE_READY;
  const departing = voters.filter((v) => {
    const n = byRaftId.get(v);
    return v !== self && (n === undefined || !wantedManager(n));
  });
  departing.sort((a, b) => Number(reachable(a)) - Number(reachable(b)));
  let current = [...voters];
  const remove: number[] = [];
  const held: number[] = [];
  for (const v of departing) {
    const remaining = current.filter((c) => c !== v);
    if (remaining.filter(reachable).length >= majorityOf(remaining.length)) {
      remove.push(v);
      current = remaining;
    } else {
      held.push(v);
    }
  }
  return { remove, held };
}

/**
 * Nodes whose demotion the leader completes in the store: asked to be workers, still recorded as
 * managers, and no longer voters. They become workers (no manager status), so no manager pins
 * their keys or dials their routes any more. Pure.
 */
export function demotionsToSettle(nodes: Iterable<Node>, voters: readonly number[]): Node[] {
  const have = new Set(voters);
  return [...nodes].filter((n) => n.role === NodeRole.NODE_ROLE_MANAGER && n.spec?.desiredRole === NodeRole.NODE_ROLE_WORKER && !have.has(raftIdOf(n)));
}

/** The node once its demotion is complete: a worker without manager status. Pure. */
export function settledDemotion(node: Node): Node {
  const { managerStatus: _gone, ...rest } = node;
  return { ...rest, role: NodeRole.NODE_ROLE_WORKER };
}
