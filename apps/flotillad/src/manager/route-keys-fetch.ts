import { CaError, getRouteKeys, type NodeCredentials } from '@flotilla/ca';
import type { Logger } from 'pino';

const ASK_TIMEOUT_MS = 3_000;

/**
 * What the managers' CAs said when asked for the route keys: the keys of now, or that this node is
 * no manager of the cluster now (its manager certificate is valid, but the answering manager's
 * store has it demoted), or nothing (none answered).
 */
export type RouteKeysAnswer = { kind: 'keys'; keys: string[]; from: string } | { kind: 'not-manager'; from: string; reason: string } | { kind: 'none' };

/**
 * The managers' route keys of now, from the first of `addrs` (their join/CA listeners, 2377) that
 * answers, over mutual TLS with this manager's own certificate. For a manager that cannot route:
 * restarted, or cut off, while the others renewed their keys — or demoted meanwhile, which the
 * first manager to refuse it as no manager now says (the caller then becomes a worker).
 */
export async function fetchRouteKeys(addrs: readonly string[], credentials: NodeCredentials, log: Logger): Promise<RouteKeysAnswer> {
  const failures: string[] = [];
  for (const addr of addrs) {
    try {
      const keys = await getRouteKeys({ addr, credentials, timeoutMs: ASK_TIMEOUT_MS });
      log.info({ from: addr, routeKeys: keys.length }, "fetched the managers' route keys");
      return { kind: 'keys', keys, from: addr };
    } catch (err) {
      // We present a manager certificate, so a refusal on the role is the store's word: demoted.
      if (err instanceof CaError && err.code === 'permission-denied') return { kind: 'not-manager', from: addr, reason: err.message };
      failures.push(`${addr}: ${(err as Error).message}`);
    }
  }
  // Debug only: a manager cut off asks every few seconds; its owner says so once per streak.
  log.debug({ failures }, 'no manager answered for the route keys');
  return { kind: 'none' };
}
