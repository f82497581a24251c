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
  /**
   * Set when the verdict for a node depends only on the node and on this key
   * of the task, not on what else was placed in the batch: tasks with the same
   * key then share one pass over the nodes.
   */
  staticKey?(task: Task): string;
  /**
   * For filters whose verdict changes as the batch is placed (resources): tasks
   * with the same key get the same verdict, and a node that fails once keeps
   * failing for the rest of the batch. Lets the scheduler drop such nodes for
   * good instead of checking every node for every task.
   */
  batchKey?(task: Task): string;
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
