import { getRouteKeys, type NodeCredentials } from '@flotilla/ca';
import type { Logger } from 'pino';

const ASK_TIMEOUT_MS = 3_000;

/**
 * The managers' route keys of now, from the first of `addrs` (their join/CA listeners, 2377) that
 * answers, over mutual TLS with this manager's own certificate; undefined when none does. For a
 * manager that cannot route: restarted, or cut off, while the others renewed their keys.
 */
export async function fetchRouteKeys(addrs: readonly string[], credentials: NodeCredentials, log: Logger): Promise<string[] | undefined> {
  const failures: string[] = [];
  for (const addr of addrs) {
    try {
      const keys = await getRouteKeys({ addr, credentials, timeoutMs: ASK_TIMEOUT_MS });
      log.info({ from: addr, routeKeys: keys.length }, "fetched the managers' route keys");
      return keys;
    } catch (err) {
      failures.push(`${addr}: ${(err as Error).message}`);
    }
  }
  // Debug only: a manager cut off asks every few seconds; its owner says so once per streak.
  log.debug({ failures }, 'no manager answered for the route keys');
  return undefined;
}
