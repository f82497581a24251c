import { Node as NodeMessage, NodeRole, type Node } from '@flotilla/api';
import { publishMessage, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { repeatOnStoreChanges } from './repeat-on-store-changes.js';

/** How often a pending promotion is told again: a notice is fire-and-forget and a worker may have been reconnecting. */
export const ROLE_NOTICE_REPEAT_MS = 2_000;

/**
 * Every node the operator wants as a manager. A worker cannot read the store, so it learns of its
 * promotion from a notice; only a worker runtime listens, so a node already running as a manager
 * ignores it. Not only those still recorded as workers: a routine certificate renewal can make the
 * CA record the node as a manager before the node itself has switched (it then refuses that
 * certificate), and the node must still be told. A manager being demoted sees its own Node object
 * in its store and needs no notice. Pure.
 */
export function pendingPromotions(nodes: Iterable<Node>): Node[] {
  return [...nodes].filter((n) => n.spec?.desiredRole === NodeRole.NODE_ROLE_MANAGER);
}

/**
 * Leader only: pushes each node that should be a manager its own Node object on its node subject
 * (which a worker may subscribe to) when the node table changes and every ROLE_NOTICE_REPEAT_MS
 * (a handful of small messages; nobody listens on a node that already runs as a manager).
 */
export function noticePromotions(member: RaftMember, bus: BusConnection, subjects: ClusterSubjects, log: Logger): { stop(): void } {
  return repeatOnStoreChanges(member, { kinds: ['node'] }, ROLE_NOTICE_REPEAT_MS, () => {
    for (const node of pendingPromotions(member.store.view().nodes.all())) {
      if (node.role === NodeRole.NODE_ROLE_WORKER) log.debug({ targetNodeId: node.id }, 'telling a promoted worker to become a manager');
      publishMessage(bus.nc, subjects.node.role(node.id), NodeMessage, node);
    }
  });
}
