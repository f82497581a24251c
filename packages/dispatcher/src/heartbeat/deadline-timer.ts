/**
 * One timer for the earliest heartbeat deadline of all nodes, however many there are.
 * Heartbeats only push deadlines later, so the timer is re-armed only when a deadline
 * earlier than the armed one appears (a new node) or when it fires.
 */
export class DeadlineTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedAt: number | undefined;

  constructor(
    private readonly onFire: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Makes sure the timer fires no later than `at`. */
  arm(at: number | undefined): void {
    if (at === undefined) return;
    if (this.armedAt !== undefined && this.armedAt <= at) return;
    this.cancel();
    this.armedAt = at;
    // Fire a little after the deadline: a deadline that is due at `at` is expired only when now >= at.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedAt = undefined;
      this.onFire();
    }, Math.max(0, at - this.now()) + 1);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = undefined;
  }
}
