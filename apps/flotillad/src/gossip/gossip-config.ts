import type { SwimConfig } from '@flotilla/gossip';

/** Every node's gossip member listens on this port of its advertise address (UDP and TCP). */
export const GOSSIP_PORT = 7946;

/** How often a node syncs with the dispatcher when there is no death to report. */
export const GOSSIP_SYNC_PERIOD_MS = 1_000;

/**
 * Faster than memberlist's LAN profile: a swarm's nodes share a LAN, and a dead node should be
 * replaced within seconds (Docker waits out heartbeat 5 s × grace). Probe every 500 ms, ack
 * timeout 200 ms, suspicion 3 × probe (1.5 s at one confirmation, ×3 without), so a crashed node
 * is declared dead about 2–3 s after it stops; Lifeguard's local health slows down a member
 * that is itself starved instead of letting it accuse others.
 */
export const FLOTILLAD_SWIM_CONFIG: Partial<SwimConfig> = {
  probeIntervalMs: 500,
  probeTimeoutMs: 200,
  gossipIntervalMs: 100,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 3,
  pushPullIntervalMs: 15_000,
  reconnectIntervalMs: 5_000,
};

/** host:port of the managers' gossip members, from their advertise addresses. */
export function gossipSeeds(managerAddrs: readonly string[], port = GOSSIP_PORT): string[] {
  return [...new Set(managerAddrs.filter(Boolean).map((addr) => `${addr.includes(':') ? `[${addr}]` : addr}:${port}`))].sort();
}
