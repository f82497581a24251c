// Waiting for a condition with a deadline, the replacement for sleeps in tests.

export interface WaitForOptions {
  /** What is being waited for; named in the error on deadline. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, lastError: unknown) {
    const last = lastError === undefined ? '' : `; last check threw: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
    super(`timed out after ${timeoutMs} ms waiting for ${what}${last}`, lastError === undefined ? undefined : { cause: lastError });
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Polls `condition` until it returns a value other than false/undefined/null
 * and returns that value. A condition that throws counts as not yet true; the
 * last error is reported if the deadline passes.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  opts: WaitForOptions,
): Promise<Exclude<T, false | undefined | null>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== false && value !== undefined && value !== null) {
        return value as Exclude<T, false | undefined | null>;
      }
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(opts.what, timeoutMs, lastError);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
