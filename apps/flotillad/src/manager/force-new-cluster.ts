import { randomUUID } from 'node:crypto';
import type { Node } from '@flotilla/api';
import { forceNewCluster, TransactionBuilder } from '@flotilla/raft';
import type { Logger } from 'pino';
import { denyNode } from '../control/node-removal.js';
import type { SwarmFiles, SwarmState } from '../swarm/swarm-state.js';

/** Node ids of the managers whose Raft ids were dropped from the configuration. Pure. */
export function droppedManagers(nodes: Iterable<Node>, removedRaftIds: readonly number[]): string[] {
  const removed = new Set(removedRaftIds);
  return [...nodes].filter((n) => removed.has(n.managerStatus?.raftId ?? 0)).map((n) => n.id).sort();
}

/**
 * `swarm init --force-new-cluster` on this manager's data (its runtime stopped): the Raft group
 * becomes this member alone, every committed write kept (raft's forceNewCluster), and in the same
 * durable step the managers it dropped are denied like removed nodes. Their Node objects stay (as
 * docker keeps them, Down), but the voter reconciler never adds them back, and their certificates,
 * NATS users and routes are refused: a dropped manager that comes back with its old data would
 * otherwise elect a leader of its own with another one. To bring such a machine back: `swarm
 * leave --force` on it and join it again (a new node id). Returns the dropped managers' node ids.
 */
export async function forceManagerAlone(files: SwarmFiles, state: SwarmState, log: Logger): Promise<string[]> {
  let dropped: string[] = [];
  const result = await forceNewCluster(files.raftDir, state.raftId, {
    logger: log,
    transaction: (view, removed) => {
      const cluster = view.clusters.get(state.clusterId);
      if (!cluster) throw new Error(`cluster ${state.clusterId} is not in this manager's store: it cannot be the base of a new swarm`);
      dropped = droppedManagers(view.nodes.all(), removed);
      const denied = dropped.reduce((list, id) => denyNode(list, id), [...cluster.deniedNodeIds]);
      if (denied.length === cluster.deniedNodeIds.length) return undefined;
      return new TransactionBuilder(randomUUID(), Date.now()).update('cluster', { ...cluster, deniedNodeIds: denied }).encode();
    },
  });
  log.warn({ raftId: state.raftId, removedRaftIds: result.removed, droppedManagers: dropped, term: result.term, commitIndex: result.commitIndex }, 'forced a new cluster: this manager is the only Raft voter now');
  return dropped;
}
