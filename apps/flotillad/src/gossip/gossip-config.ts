import { parseDuration } from '@flotilla/api';
import { fastLanConfig, type SwimConfig } from '@flotilla/gossip';
import { ConfigError } from '../config-values.js';

/** Every node's gossip member listens on this port of its advertise address (UDP and TCP). */
export const GOSSIP_PORT = 7946;

/** How often a node syncs with the dispatcher when there is no death to report. */
export const GOSSIP_SYNC_PERIOD_MS = 1_000;

/**
 * Default probe interval (`flotillad --gossip-probe-interval`). 300 ms rather than memberlist's
 * 1 s: a crashed node is declared dead about 4–5 P after it stops (a probe comes round, fails
 * within P, then 3 P of suspicion), so 300 ms gets the replacements going in under 2 s, within
 * the issue's 3 s goal; Lifeguard's local health slows a starved member's probing by itself.
 */
export const DEFAULT_PROBE_INTERVAL_MS = 300;
const MIN_PROBE_INTERVAL_MS = 50;
const MAX_PROBE_INTERVAL_MS = 10_000;

/** The SWIM timings for probe interval P: the fast LAN profile of @flotilla/gossip. */
export function swimConfigFor(probeIntervalMs = DEFAULT_PROBE_INTERVAL_MS): Partial<SwimConfig> {
  return fastLanConfig(probeIntervalMs);
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
