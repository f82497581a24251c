import type { SwarmState } from './swarm-state.js';

/**
 * A worker's list of managers' NATS servers, following the managers' join/CA addresses its
 * heartbeats carry. The NATS client port is the same on every manager (like Docker's 2377 and
 * 4222), so it is taken from the servers the worker already uses. Returns the new list, or
 * undefined when nothing changed or the port cannot be told. Pure.
 */
export function natsServersForManagers(state: Pick<SwarmState, 'natsServers'>, managerAddrs: readonly string[]): string[] | undefined {
  const port = /:(\d+)$/.exec(state.natsServers[0] ?? '')?.[1];
  if (port === undefined || managerAddrs.length === 0) return undefined;
  const servers = [...new Set(managerAddrs.map((addr) => `tls://${addr.slice(0, addr.lastIndexOf(':'))}:${port}`))].filter((url) => !url.startsWith('tls://:')).sort();
  if (servers.length === 0) return undefined;
  const same = servers.length === state.natsServers.length && [...state.natsServers].sort().every((url, i) => url === servers[i]);
  return same ? undefined : servers;
}
