// Batches work that store events ask for and runs it one pass at a time. The first request after
// a quiet spell arms a timer of `windowMs` (0 = setImmediate: the rest of the current event-loop
// turn); requests arriving meanwhile join the same pass. The window is not extended by later
// requests, so a steady stream of events cannot starve the pass. A pass that fails (a version
// conflict, no leader for a moment) gives its work back and runs again from a fresh read:
// immediately for the first few failures, then with a growing back-off.
import type { Logger } from 'pino';

export interface WorkLoopOptions<W> {
  windowMs: number;
  empty(): W;
  /** Puts the work of a failed pass back into the pending work. */
  merge(into: W, from: W): void;
  run(work: W): Promise<void>;
  log: Logger;
  /** Whether an error is expected churn (logged at debug) rather than a fault (warn). */
  isExpected?(err: unknown): boolean;
}

const IMMEDIATE_RETRIES = 3;
const MAX_BACKOFF_MS = 1_000;

export class WorkLoop<W> {
  private work: W;
  private armed: { cancel(): void } | undefined;
  private running: Promise<void> | undefined;
  private addedWhileRunning = false;
  private stopped = false;
  private failures = 0;
  /** Passes run and passes that failed; for logs and tests. */
  readonly stats = { passes: 0, failedPasses: 0 };

  constructor(private readonly o: WorkLoopOptions<W>) {
    this.work = o.empty();
  }

  /** Records work (mutating the pending set) and makes sure a pass will run. */
  add(mutate: (work: W) => void): void {
    if (this.stopped) return;
    mutate(this.work);
    if (this.running) this.addedWhileRunning = true;
    else this.arm(this.o.windowMs);
  }

  /** Cancels a pass not yet begun and waits for the one running; later add() calls do nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.armed?.cancel();
    this.armed = undefined;
    await this.running;
  }

  private arm(delayMs: number): void {
    if (this.armed || this.stopped) return;
    const fire = (): void => {
      this.armed = undefined;
      this.running = this.cycle();
    };
    if (delayMs <= 0) {
      const h = setImmediate(fire);
      this.armed = { cancel: () => clearImmediate(h) };
    } else {
      const h = setTimeout(fire, delayMs);
      this.armed = { cancel: () => clearTimeout(h) };
    }
  }

  private async cycle(): Promise<void> {
    this.addedWhileRunning = false;
    const retryInMs = await this.pass();
    this.running = undefined;
    if (this.stopped) return;
    // The failed pass's own work, or work that arrived during the pass, gets the next one.
    if (retryInMs !== undefined) this.arm(retryInMs);
    else if (this.addedWhileRunning) this.arm(this.o.windowMs);
  }

  /** Runs one pass; returns the delay before a retry if it failed. */
  private async pass(): Promise<number | undefined> {
    const work = this.work;
    this.work = this.o.empty();
    this.stats.passes++;
    try {
      await this.o.run(work);
      this.failures = 0;
      return undefined;
    } catch (err) {
      this.stats.failedPasses++;
      this.failures++;
      this.o.merge(this.work, work);
      const expected = this.o.isExpected?.(err) ?? false;
      this.o.log[expected ? 'debug' : 'warn']({ err, failures: this.failures }, 'pass failed; retrying from a fresh read');
      return this.failures <= IMMEDIATE_RETRIES ? 0 : Math.min(MAX_BACKOFF_MS, 10 * 2 ** this.failures);
    }
  }
}
