/**
 * Whether an image is on this node (and its inspect), asked of the engine once for a burst of tasks: a service of
 * 100 replicas starts 100 creates at once, and 100 identical image inspects only queue in front of
 * the creates in a busy engine. Concurrent checks of one image share one inspect, and an image
 * found stays known for `ttlMs`; a failed check (a missing image) is never remembered, so
 * `docker load` takes effect on the next task.
 */
export class ImagePresence<T = unknown> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly found = new Map<string, { at: number; info: T }>();

  constructor(
    private readonly inspect: (image: string) => Promise<T>,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves with the image's inspect when `image` is on the node; rejects with the inspect's error otherwise. */
  check(image: string): Promise<T> {
    const known = this.found.get(image);
    if (known !== undefined && this.now() - known.at < this.ttlMs) return Promise.resolve(known.info);
    const running = this.inFlight.get(image);
    if (running) return running;
    const check = this.inspect(image).then(
      (info) => {
        this.found.set(image, { at: this.now(), info });
        this.inFlight.delete(image);
        return info;
      },
      (err: unknown) => {
        this.found.delete(image);
        this.inFlight.delete(image);
        throw err;
      },
    );
    this.inFlight.set(image, check);
    return check;
  }
}
