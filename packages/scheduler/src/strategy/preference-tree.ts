import { nodeValue } from '@flotilla/api';
import type { NodeInfo } from '../node-info.js';
import { pickSpread } from './spread.js';

interface Branch {
  value: string;
  /** Live tasks of the service on every node under this branch, eligible or not (as SwarmKit counts). */
  tasks: number;
  children: Map<string, Branch>;
  /** Leaves only: the nodes under this branch that passed the static filters. */
  nodes: NodeInfo[];
}

const newBranch = (value: string): Branch => ({ value, tasks: 0, children: new Map(), nodes: [] });

/**
 * Placement preferences (`--placement-pref spread=node.labels.zone`, repeatable): the nodes form a
 * tree, one level per preference, a branch per value of its label (nodes without the label share
 * the branch ""). Each task goes down the branch holding the fewest tasks of the service among
 * those that still have a node able to take it (ties: by value), level by level, and on the leaf
 * to the best node by spread. Placing one task at a time this way fills the branches as evenly
 * as SwarmKit's tree split (scheduler.go scheduleNTasksOnSubtree): branches already above the
 * even share get nothing until the others catch up, and a branch with no room is passed over.
 */
export class PreferenceTree {
  private readonly root = newBranch('');
  private readonly paths = new Map<string, Branch[]>();

  /**
   * @param allNodes every node of the cluster: their tasks count toward their branches.
   * @param candidates the nodes that passed the static filters: only they are placed on.
   */
  constructor(
    private readonly serviceId: string,
    descriptors: readonly string[],
    allNodes: readonly NodeInfo[],
    candidates: readonly NodeInfo[],
  ) {
    const placeable = new Set(candidates);
    for (const info of allNodes) {
      const path: Branch[] = [];
      let branch = this.root;
      for (const descriptor of descriptors) {
        const value = nodeValue(descriptor, info.node) ?? '';
        let next = branch.children.get(value);
        if (!next) branch.children.set(value, (next = newBranch(value)));
        path.push(next);
        branch = next;
      }
      const count = info.tasksByService.get(serviceId) ?? 0;
      for (const b of path) b.tasks += count;
      if (placeable.has(info)) branch.nodes.push(info);
      this.paths.set(info.node.id, path);
    }
  }

  /** The node for the next task: the emptiest branch with room at each level, then spread. */
  take(fits: (info: NodeInfo) => boolean): NodeInfo | undefined {
    return this.descend(this.root, fits);
  }

  /** Counts a task just placed on `info` in every branch above it. */
  record(info: NodeInfo): void {
    for (const b of this.paths.get(info.node.id) ?? []) b.tasks += 1;
  }

  private descend(branch: Branch, fits: (info: NodeInfo) => boolean): NodeInfo | undefined {
    if (branch.children.size === 0) return pickSpread(this.serviceId, branch.nodes.filter(fits));
    const order = [...branch.children.values()].sort((a, b) => a.tasks - b.tasks || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    for (const child of order) {
      const chosen = this.descend(child, fits);
      if (chosen) return chosen;
    }
    return undefined;
  }
}
