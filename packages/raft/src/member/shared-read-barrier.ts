// Linearizable reads for many readers at the price of few read-index rounds (each one a
// heartbeat round trip from the leader, plus a hop to it from a follower). A read may only use
// a barrier that began after the read did: one already in flight may have taken its read point
// before a write the reader has already seen acknowledged. So a reader that arrives while a
// barrier is in flight waits for the next one, and every reader that arrives meanwhile shares
// that next one (etcd batches its linearizable reads the same way).

export class SharedReadBarrier {
  private running: Promise<number> | undefined;
  private queued: Promise<number> | undefined;
  /** Barriers started and reads served, for benchmarks and tests. */
  readonly stats = { barriers: 0, reads: 0 };

  /** `barrier` runs one read-index round (e.g. `() => member.readBarrier(ms)`) and resolves with its read index. */
  constructor(private readonly barrier: () => Promise<number>) {}

  /** Resolves with the index of a barrier that began after this call, once it has passed; rejects with its error. */
  wait(): Promise<number> {
    this.stats.reads++;
    if (this.queued) return this.queued;
    if (!this.running) return this.begin();
    const settled = this.running.then(
      () => undefined,
      () => undefined,
    );
    const next = settled.then(() => {
      this.queued = undefined;
      return this.begin();
    });
    this.queued = next;
    return next;
  }

  private begin(): Promise<number> {
    this.stats.barriers++;
    let round: Promise<number>;
    try {
      round = this.barrier();
    } catch (err) {
      round = Promise.reject(err);
    }
    this.running = round;
    const clear = (): void => {
      if (this.running === round) this.running = undefined;
    };
    round.then(clear, clear);
    return round;
  }
}
