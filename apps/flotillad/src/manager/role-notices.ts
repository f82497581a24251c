import { Node as NodeMessage, NodeRole, type Node } from '@flotilla/api';
import { publishMessage, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';

/** How often a pending promotion is told again: a notice is fire-and-forget and a worker may have been reconnecting. */
export const ROLE_NOTICE_REPEAT_MS = 2_000;

/**
 * Workers the operator promoted that still hold a worker certificate. A worker cannot read the
 * store, so it learns of its promotion from a notice; a manager being demoted sees its own Node
 * object in its store and needs none. Pure.
 */
export function pendingPromotions(nodes: Iterable<Node>): Node[] {
  return [...nodes].filter((n) => n.spec?.desiredRole === NodeRole.NODE_ROLE_MANAGER && n.role === NodeRole.NODE_ROLE_WORKER);
}

/**
 * Leader only: pushes each promoted worker its own Node object on its node subject (which a worker
 * may subscribe to) when the promotion is written and again every ROLE_NOTICE_REPEAT_MS until
 * the node has renewed its certificate as a manager (the CA then records it as one).
 */
export function noticePromotions(member: RaftMember, bus: BusConnection, subjects: ClusterSubjects, log: Logger): { stop(): void } {
  const sub = member.store.watch({ kinds: ['node'] });
  let stopped = false;
  const tell = () => {
    if (stopped) return;
    for (const node of pendingPromotions(member.store.view().nodes.all())) {
      log.debug({ targetNodeId: node.id }, 'telling a promoted worker to become a manager');
      publishMessage(bus.nc, subjects.node.role(node.id), NodeMessage, node);
    }
  };
  const timer = setInterval(tell, ROLE_NOTICE_REPEAT_MS);
  void (async () => {
    tell();
    try {
      for await (const _event of sub) tell();
    } catch {
      // closed on stop or by a snapshot restore; the timer keeps telling
    }
  })();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      sub.close();
    },
  };
}
