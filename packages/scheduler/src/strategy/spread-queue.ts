import type { NodeInfo } from '../node-info.js';

interface Entry {
  info: NodeInfo;
  /** The node's counts when it was queued; real counts only grow during a batch. */
  forService: number;
  total: number;
}

/**
 * Nodes in spread order (see compareForSpread) for one service, as a binary heap, so a batch of
 * many tasks costs O(log n) per task instead of a scan of every node.
 *
 * Counts only grow while a batch is placed, so an entry's queued key is never
 * above the node's real key: an entry whose key is stale is re-queued with
 * the real one, and the first fresh entry on top is the true best node.
 */
export class SpreadQueue {
  private readonly heap: Entry[] = [];

  constructor(
    private readonly serviceId: string,
    nodes: readonly NodeInfo[],
  ) {
    for (const info of nodes) this.push(info);
  }

  /**
   * Removes and returns the best node that `fits`. Nodes that do not fit are
   * dropped for good: the caller guarantees a node that fails once keeps
   * failing for this queue's tasks for the rest of the batch. Put the chosen
   * node back with `push` once its counts are updated.
   */
  take(fits: (info: NodeInfo) => boolean): NodeInfo | undefined {
    while (this.heap.length > 0) {
      const top = this.pop();
      if (!this.isFresh(top)) {
        this.push(top.info);
        continue;
      }
      if (fits(top.info)) return top.info;
    }
    return undefined;
  }

  push(info: NodeInfo): void {
    this.heap.push({ info, forService: info.tasksByService.get(this.serviceId) ?? 0, total: info.totalTasks });
    this.up(this.heap.length - 1);
  }

  private isFresh(e: Entry): boolean {
    return e.total === e.info.totalTasks && e.forService === (e.info.tasksByService.get(this.serviceId) ?? 0);
  }

  private less(a: Entry, b: Entry): boolean {
    if (a.forService !== b.forService) return a.forService < b.forService;
    if (a.total !== b.total) return a.total < b.total;
    return a.info.node.id < b.info.node.id;
  }

  private pop(): Entry {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) return;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < h.length && this.less(h[l]!, h[best]!)) best = l;
      if (r < h.length && this.less(h[r]!, h[best]!)) best = r;
      if (best === i) return;
      [h[i], h[best]] = [h[best]!, h[i]!];
      i = best;
    }
  }
}
