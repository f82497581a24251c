import { X509Certificate } from 'node:crypto';
import { NodeCredentials } from './local-issue.js';
import { msUntilRenewal, nextRenewalAt } from './renewal.js';

/** setTimeout fires at once (with a warning) beyond 2^31-1 ms (~24.8 days); a 90-day certificate renews later than that. */
export const MAX_TIMER_MS = 2_147_483_647;
export const RETRY_MIN_MS = 1_000;
export const RETRY_MAX_MS = 5 * 60_000;

/** Backoff after a failed renewal: 1 s doubling to 5 min, so an outage is retried well before expiry. */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, attempt - 1));
}

export interface TimerApi {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: TimerApi = {
  set: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CertificateRenewerOptions {
  current: NodeCredentials;
  /** Gets new credentials, e.g. `(c) => renewNodeCertificate({ addr, current: c })`. */
  renew(current: NodeCredentials): Promise<NodeCredentials>;
  /** Persist the new credentials and swap them into live TLS (servers: `credentials.updateIdentity`). */
  onRenewed(next: NodeCredentials): void | Promise<void>;
  onError?(err: unknown, attempt: number): void;
  rand?: () => number;
  /**
   * When to renew a certificate of this validity, instead of a random point in the 50-80 % window.
   * A test/ops knob (e.g. renew a minute after each issue); production leaves it unset.
   */
  renewAt?(validity: { notBefore: Date; notAfter: Date }): Date;
  now?: () => Date;
  timers?: TimerApi;
}

export interface CertificateRenewer {
  /** Renew at once (the node learnt its role changed); resolves with the new credentials. */
  renewNow(): Promise<NodeCredentials>;
  current(): NodeCredentials;
  stop(): void;
}

function validityOf(creds: NodeCredentials): { notBefore: Date; notAfter: Date } {
  const cert = new X509Certificate(creds.certPem);
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

/** Keeps a node's certificate fresh: sleeps until a random point in the renewal window, renews, repeats. */
export function startCertificateRenewal(options: CertificateRenewerOptions): CertificateRenewer {
  const timers = options.timers ?? realTimers;
  const now = options.now ?? (() => new Date());
  let current = options.current;
  let handle: unknown;
  let stopped = false;
  let inFlight: Promise<NodeCredentials> | undefined;
  let renewAt = new Date(0);
  let attempt = 0;

  function planFromCertificate(): void {
    const { notBefore, notAfter } = validityOf(current);
    renewAt = options.renewAt ? options.renewAt({ notBefore, notAfter }) : nextRenewalAt(notBefore, notAfter, options.rand);
    attempt = 0;
    arm(msUntilRenewal(renewAt, now()));
  }

  function arm(delayMs: number): void {
    if (stopped) return;
    timers.clear(handle);
    handle = timers.set(onTimer, Math.min(delayMs, MAX_TIMER_MS));
  }

  function onTimer(): void {
    const left = msUntilRenewal(renewAt, now());
    if (left > 0) {
      arm(left); // a long wait is taken in slices of at most MAX_TIMER_MS
      return;
    }
    renewNow().catch(() => undefined);
  }

  function renewNow(): Promise<NodeCredentials> {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      try {
        const next = await options.renew(current);
        await options.onRenewed(next);
        current = next;
        planFromCertificate();
        return next;
      } catch (err) {
        attempt += 1;
        options.onError?.(err, attempt);
        arm(retryDelayMs(attempt));
        throw err;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  planFromCertificate();
  return {
    renewNow,
    current: () => current,
    stop: () => {
      stopped = true;
      timers.clear(handle);
    },
  };
}
