import type { NodeInfo } from '../node-info.js';

/**
 * Spread order: fewer tasks of this service first, then fewer tasks overall,
 * then node id, so the same inputs always give the same placement.
 * Negative when `a` is the better node.
 */
export function compareForSpread(serviceId: string, a: NodeInfo, b: NodeInfo): number {
  const byService = (a.tasksByService.get(serviceId) ?? 0) - (b.tasksByService.get(serviceId) ?? 0);
  if (byService !== 0) return byService;
  const byTotal = a.totalTasks - b.totalTasks;
  if (byTotal !== 0) return byTotal;
  return a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0;
}

/** The best node for one task of `serviceId` among eligible ones; undefined when none. */
export function pickSpread(serviceId: string, eligible: readonly NodeInfo[]): NodeInfo | undefined {
  let best: NodeInfo | undefined;
  for (const info of eligible) {
    if (!best || compareForSpread(serviceId, info, best) < 0) best = info;
  }
  return best;
}
