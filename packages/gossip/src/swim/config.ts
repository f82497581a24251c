/**
 * Protocol timing. The defaults are memberlist's LAN profile (probe every 1 s with a
 * 500 ms ack timeout, gossip every 200 ms to 3 members, suspicion multiplier 4 with
 * Lifeguard's ×6 ceiling, retransmit multiplier 4, push/pull every 30 s).
 */
export interface SwimConfig {
  /** How often a member probes the next member in its shuffled round-robin list. */
  probeIntervalMs: number;
  /** How long a direct ping waits for its ack before asking others (ping-req). */
  probeTimeoutMs: number;
  /** How many members are asked to probe on our behalf when the direct ping fails. */
  indirectChecks: number;
  /** How often pending rumours are gossiped on their own (besides riding on probes). */
  gossipIntervalMs: number;
  /** How many random members each gossip round goes to. */
  gossipNodes: number;
  /** A rumour is sent retransmitMult·⌈log10(N+1)⌉ times, then dropped. */
  retransmitMult: number;
  /** Minimum suspicion timeout = suspicionMult·max(1, log10 N)·probeInterval. */
  suspicionMult: number;
  /** Lifeguard: the suspicion timeout starts at this multiple of the minimum. */
  suspicionMaxTimeoutMult: number;
  /** Full state exchange with one random member (scaled up above 32 members). */
  pushPullIntervalMs: number;
  /** How often a push/pull is attempted with one dead member, so partitions heal. 0 = never. */
  reconnectIntervalMs: number;
  /** Dead members still receive gossip for this long, so they can learn they must refute. */
  gossipToTheDeadMs: number;
  /** Dead and left members are forgotten after this long. */
  deadReapMs: number;
  /**
   * Lifeguard: a member that sees signs of its own slowness (its probes fail without nacks,
   * it gets accused) probes up to this many times slower, instead of accusing others.
   */
  awarenessMaxMultiplier: number;
  /** Budget of one UDP packet before sealing; rumours beyond it wait for the next packet. */
  maxPacketBytes: number;
}

export const LAN_CONFIG: Readonly<SwimConfig> = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  reconnectIntervalMs: 10_000,
  gossipToTheDeadMs: 30_000,
  deadReapMs: 10 * 60_000,
  awarenessMaxMultiplier: 8,
  maxPacketBytes: 1400,
});

/**
 * Faster than memberlist's LAN profile, for a swarm whose nodes share a LAN and whose dead
 * nodes should be replaced within seconds. Everything scales with the probe interval P: ack
 * timeout 0.4 P, gossip every P/5, suspicion 3 P once another member confirms (×3 without), so
 * a crashed member is declared dead about 4–5 P after it stops; Lifeguard's local health slows
 * down a member that is itself starved instead of letting it accuse others.
 */
export function fastLanConfig(probeIntervalMs: number): Partial<SwimConfig> {
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

/** Fills in defaults and refuses values that would break the protocol's timing. */
export function makeSwimConfig(overrides: Partial<SwimConfig> = {}): SwimConfig {
  const config: SwimConfig = { ...LAN_CONFIG, ...overrides };
  const problems: string[] = [];
  const positive: (keyof SwimConfig)[] = [
    'probeIntervalMs', 'probeTimeoutMs', 'gossipIntervalMs', 'retransmitMult', 'suspicionMult',
    'suspicionMaxTimeoutMult', 'pushPullIntervalMs', 'deadReapMs', 'maxPacketBytes', 'awarenessMaxMultiplier',
  ];
  for (const key of positive) {
    if (!Number.isFinite(config[key]) || config[key] <= 0) problems.push(`${key} must be a positive number, got ${config[key]}`);
  }
  for (const key of ['indirectChecks', 'gossipNodes', 'reconnectIntervalMs', 'gossipToTheDeadMs'] as const) {
    if (!Number.isFinite(config[key]) || config[key] < 0) problems.push(`${key} must be zero or more, got ${config[key]}`);
  }
  if (config.probeTimeoutMs >= config.probeIntervalMs) {
    problems.push(`probeTimeoutMs (${config.probeTimeoutMs}) must be shorter than probeIntervalMs (${config.probeIntervalMs}) to leave time for indirect probes`);
  }
  if (config.suspicionMaxTimeoutMult < 1) problems.push('suspicionMaxTimeoutMult must be at least 1');
  if (config.maxPacketBytes < 256) problems.push(`maxPacketBytes must be at least 256, got ${config.maxPacketBytes}`);
  // Receivers drop datagrams over 8 KiB unopened (transport/limits.ts), the seal included.
  if (config.maxPacketBytes > 8000) problems.push(`maxPacketBytes must be at most 8000 (receivers drop bigger datagrams), got ${config.maxPacketBytes}`);
  if (problems.length > 0) throw new Error(`invalid gossip configuration: ${problems.join('; ')}`);
  return config;
}

/** How many times each rumour is sent: memberlist's retransmitMult·⌈log10(N+1)⌉. */
export function retransmitLimit(config: SwimConfig, liveMembers: number): number {
  return config.retransmitMult * Math.max(1, Math.ceil(Math.log10(liveMembers + 1)));
}

/** Full-state syncs get rarer in big clusters so their TCP traffic stays bounded. */
export function pushPullInterval(config: SwimConfig, liveMembers: number): number {
  const threshold = 32;
  if (liveMembers <= threshold) return config.pushPullIntervalMs;
  const factor = Math.ceil(Math.log2(liveMembers) - Math.log2(threshold)) + 1;
  return config.pushPullIntervalMs * factor;
}
