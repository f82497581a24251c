import type { Task } from '@flotilla/api';
import type { NodeInfo } from '../node-info.js';

/**
 * Checks one node for the task a filter was prepared with: null when the node
 * passes, otherwise a short detail of why not (may be '' when the filter's
 * summary says it all).
 */
export type NodeCheck = (info: NodeInfo) => string | null;

/**
 * One stage of the placement pipeline. A filter looks at the task once
 * (`forTask`, null when it has nothing to check for that task) and then at
 * each node. When no node is left, `explain` words the nodes it removed for
 * the task's pending reason.
 */
export interface Filter {
  readonly name: string;
  forTask(task: Task): NodeCheck | null;
  explain(failedNodes: number, details: readonly string[]): string;
}

/** "1 node" / "3 nodes". */
export function nodeCount(n: number): string {
  return n === 1 ? '1 node' : `${n} nodes`;
}

/** Picks the singular or plural verb form for a node count. */
export function verb(n: number, singular: string, plural: string): string {
  return n === 1 ? singular : plural;
}
