import type { TaskStatusWrite } from '../backend.js';

export interface StatusBatcherOptions {
  /**
   * The least time between the starts of two writes: an update arriving within it of the last
   * write waits for the rest of it, joined by what comes meanwhile. After a quiet spell an
   * update is written at once (a lone RUNNING, which a rolling update waits for, pays no window).
   */
  delayMs: number;
  /** A batch this large is written at once, without waiting. */
  maxBatch: number;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Gathers status updates from every agent into few store writes: a store transaction
 * costs a Raft round, so one per agent request would not scale with the cluster. Each
 * submitter's promise settles when the write that carried its updates did. One write is
 * in flight at a time; updates arriving meanwhile form the next batch, and within a batch
 * the latest status of a task wins.
 */
export class StatusBatcher {
  private pending = new Map<string, TaskStatusWrite>();
  private waiters: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  /** When the last write started. */
  private lastWriteAt = -Infinity;

  constructor(
    private readonly write: (batch: TaskStatusWrite[]) => Promise<void>,
    private readonly opts: StatusBatcherOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!(opts.delayMs >= 0) || !(opts.maxBatch >= 1)) {
      throw new Error(`status batcher: delayMs must be >= 0 and maxBatch >= 1, got ${opts.delayMs} and ${opts.maxBatch}`);
    }
  }

  submit(writes: TaskStatusWrite[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('status batcher is closed'));
    if (writes.length === 0) return Promise.resolve();
    for (const w of writes) {
      this.pending.delete(w.taskId); // re-insert so the batch keeps arrival order
      this.pending.set(w.taskId, w);
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  /** Writes everything pending now; resolves when nothing is pending or being written. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.writing || this.pending.size > 0) {
      if (this.writing) await this.writing.catch(() => undefined);
      else this.startWrite();
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private schedule(): void {
    if (this.writing) return; // the running write starts the next batch when it ends
    if (this.pending.size >= this.opts.maxBatch) {
      this.clearTimer();
      this.startWrite();
    } else if (!this.timer) {
      // Even at once, a timer: updates submitted in the same turn join this write.
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.writing) this.startWrite();
      }, Math.max(0, this.lastWriteAt + this.opts.delayMs - this.now()));
    }
  }

  private startWrite(): void {
    const batch = [...this.pending.values()];
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    if (batch.length === 0) {
      for (const w of waiters) w.resolve();
      return;
    }
    this.lastWriteAt = this.now();
    this.writing = this.write(batch).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
    void this.writing.finally(() => {
      this.writing = undefined;
      if (this.pending.size > 0 && !this.closed) this.schedule();
    });
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
