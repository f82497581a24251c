/**
 * Whether an image is on this node, asked of the engine once for a burst of tasks: a service of
 * 100 replicas starts 100 creates at once, and 100 identical image inspects only queue in front of
 * the creates in a busy engine. Concurrent checks of one image share one inspect, and an image
 * found stays known for `ttlMs`; a failed check (a missing image) is never remembered, so
 * `docker load` takes effect on the next task.
 */
export class ImagePresence {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly foundAt = new Map<string, number>();

  constructor(
    private readonly inspect: (image: string) => Promise<unknown>,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when `image` is on the node; rejects with the inspect's error otherwise. */
  check(image: string): Promise<void> {
    const at = this.foundAt.get(image);
    if (at !== undefined && this.now() - at < this.ttlMs) return Promise.resolve();
    const running = this.inFlight.get(image);
    if (running) return running;
    const check = this.inspect(image).then(
      () => {
        this.foundAt.set(image, this.now());
        this.inFlight.delete(image);
      },
      (err: unknown) => {
        this.foundAt.delete(image);
        this.inFlight.delete(image);
        throw err;
      },
    );
    this.inFlight.set(image, check);
    return check;
  }
}
