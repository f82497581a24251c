import type { Subscription } from '@nats-io/transport-node';

/**
 * The handlers a subscription has started and not finished. Stopping unsubscribes first, so
 * nothing new starts, then waits for what is running: a reply being sent or a store write in
 * flight is never cut off by a service stopping.
 */
export class DrainingSubscription {
  private readonly inFlight = new Set<Promise<void>>();
  private stopping: Promise<void> | undefined;

  constructor(
    readonly subscription: Subscription,
    private readonly onStopped?: () => void,
  ) {}

  track(work: Promise<void>): void {
    const p = work.finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Idempotent: every caller gets the same promise. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.subscription.isClosed()) this.subscription.unsubscribe();
      await Promise.allSettled([...this.inFlight]);
      this.onStopped?.();
    })();
    return this.stopping;
  }
}
