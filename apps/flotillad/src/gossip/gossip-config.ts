import { parseDuration } from '@flotilla/api';
import type { SwimConfig } from '@flotilla/gossip';
import { ConfigError } from '../config-values.js';

/** Every node's gossip member listens on this port of its advertise address (UDP and TCP). */
export const GOSSIP_PORT = 7946;

/** How often a node syncs with the dispatcher when there is no death to report. */
export const GOSSIP_SYNC_PERIOD_MS = 1_000;

/** Default probe interval (`flotillad --gossip-probe-interval`). */
export const DEFAULT_PROBE_INTERVAL_MS = 500;
const MIN_PROBE_INTERVAL_MS = 50;
const MAX_PROBE_INTERVAL_MS = 10_000;

/**
 * Faster than memberlist's LAN profile: a swarm's nodes share a LAN, and a dead node should be
 * replaced within seconds (Docker waits out heartbeat 5 s × grace). Everything scales with the
 * probe interval P (500 ms by default): ack timeout 0.4 P, gossip every P/5, suspicion 3 P with
 * one confirmation (×3 without), so a crashed node is declared dead about 4–5 P after it
 * stops; Lifeguard's local health slows down a member that is itself starved instead of
 * letting it accuse others.
 */
export function swimConfigFor(probeIntervalMs = DEFAULT_PROBE_INTERVAL_MS): Partial<SwimConfig> {
  return {
    probeIntervalMs,
    probeTimeoutMs: Math.max(10, Math.round(probeIntervalMs * 0.4)),
    gossipIntervalMs: Math.max(20, Math.round(probeIntervalMs / 5)),
    suspicionMult: 3,
    suspicionMaxTimeoutMult: 3,
    pushPullIntervalMs: 15_000,
    reconnectIntervalMs: 5_000,
  };
}

/** `--gossip-probe-interval` ("250ms", "1s"); throws a ConfigError naming the flag. */
export function parseProbeInterval(raw: string): number {
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch (err) {
    throw new ConfigError(`invalid --gossip-probe-interval "${raw}": ${(err as Error).message}`);
  }
  if (ms < MIN_PROBE_INTERVAL_MS || ms > MAX_PROBE_INTERVAL_MS) {
    throw new ConfigError(`invalid --gossip-probe-interval "${raw}": expected ${MIN_PROBE_INTERVAL_MS}ms to ${MAX_PROBE_INTERVAL_MS / 1000}s`);
  }
  return ms;
}

/** host:port of the managers' gossip members, from their advertise addresses. */
export function gossipSeeds(managerAddrs: readonly string[], port = GOSSIP_PORT): string[] {
  return [...new Set(managerAddrs.filter(Boolean).map((addr) => `${addr.includes(':') ? `[${addr}]` : addr}:${port}`))].sort();
}
