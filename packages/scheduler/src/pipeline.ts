import type { Task } from '@flotilla/api';
import type { Filter, NodeCheck } from './filters/filter.js';
import { readyFilter } from './filters/ready.js';
import { availabilityFilter } from './filters/availability.js';
import { constraintFilter } from './filters/constraint.js';
import { resourcesFilter } from './filters/resources.js';
import type { NodeInfo } from './node-info.js';

/**
 * The filters in the order they run. A rejected node is counted against the
 * first filter that rejects it only, so the reason adds up to the node count.
 */
export const DEFAULT_FILTERS: readonly Filter[] = [
  readyFilter,
  availabilityFilter,
  constraintFilter,
  resourcesFilter,
];

export interface FilterResult {
  eligible: NodeInfo[];
  /** Set when no node is eligible: the task's pending reason. */
  reason?: string;
}

interface Rejections {
  count: number;
  details: string[];
}

/**
 * A task prepared once against the pipeline; `run` can then be called for each
 * placement round of a batch (node capacities change as tasks are placed).
 */
export class PreparedPipeline {
  private readonly checks: { filter: Filter; check: NodeCheck }[] = [];

  constructor(task: Task, filters: readonly Filter[] = DEFAULT_FILTERS) {
    for (const filter of filters) {
      const check = filter.forTask(task);
      if (check) this.checks.push({ filter, check });
    }
  }

  run(candidates: readonly NodeInfo[]): FilterResult {
    const eligible: NodeInfo[] = [];
    const rejected = new Map<Filter, Rejections>();
    for (const info of candidates) {
      const failed = this.firstFailure(info);
      if (!failed) {
        eligible.push(info);
        continue;
      }
      const r = rejected.get(failed.filter) ?? { count: 0, details: [] };
      r.count += 1;
      if (failed.detail !== '') r.details.push(failed.detail);
      rejected.set(failed.filter, r);
    }
    if (eligible.length > 0) return { eligible };
    return { eligible, reason: this.reason(candidates.length, rejected) };
  }

  private firstFailure(info: NodeInfo): { filter: Filter; detail: string } | undefined {
    for (const { filter, check } of this.checks) {
      const detail = check(info);
      if (detail !== null) return { filter, detail };
    }
    return undefined;
  }

  private reason(candidates: number, rejected: Map<Filter, Rejections>): string {
    if (candidates === 0) return 'no suitable node (no nodes in the cluster)';
    const parts = this.checks
      .map(({ filter }) => ({ filter, r: rejected.get(filter) }))
      .filter((x): x is { filter: Filter; r: Rejections } => x.r !== undefined)
      .map(({ filter, r }) => filter.explain(r.count, r.details));
    return `no suitable node (${parts.join('; ')})`;
  }
}
