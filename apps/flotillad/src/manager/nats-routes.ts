import type { Node } from '@flotilla/api';
import { currentManagers } from './current-managers.js';

/**
 * NATS routes to every other current manager in the store (dropped, denied managers left out: a
 * route to them would be dialled for ever): its join address's host on the route port all managers
 * share (the daemon's --nats-cluster-port, like 2377 and 4222). nats-server did not reliably
 * gossip routes between managers that each joined through the first one, so a joining manager
 * dials all of them itself; a pair is connected as long as one side routes to the other.
 */
export function managerRoutes(nodes: Iterable<Node>, selfId: string, clusterPort: number, denied: readonly string[]): string[] {
  const routes: string[] = [];
  for (const n of currentManagers(nodes, denied)) {
    if (n.id === selfId) continue;
    const addr = n.managerStatus?.addr ?? '';
    const host = addr.includes(':') ? addr.slice(0, addr.lastIndexOf(':')) : addr;
    if (host) routes.push(`nats-route://${host}:${clusterPort}`);
  }
  return routes.sort();
}
