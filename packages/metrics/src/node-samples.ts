import type { RefusalCount, SwarmInfo } from '@flotilla/api';
import type { Sample } from './cluster-samples.js';

/** What Raft says of this manager, in the member's own terms (`RaftMember.status()`). */
export interface RaftFacts {
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly snapshotIndex: number;
  readonly voters: number;
  readonly isLeader: boolean;
  /** Seconds the last snapshot took, from the start of its encoding to the log compacted. */
  readonly lastSnapshotSeconds?: number;
}

/** Refusals by listener and cause, and gossip members by state, from `info`'s Swarm section. */
export interface NodeSamples {
  readonly refused: Sample<'listener' | 'cause'>[];
  readonly gossipMembers: Sample<'state'>[];
}

function byListener(listener: string, counts: readonly RefusalCount[]): Sample<'listener' | 'cause'>[] {
  return counts.map((c) => ({ labels: { listener, cause: c.cause }, value: c.count }));
}

/**
 * The same figures `flotilla info` shows — what each listener refused since the daemon started
 * (NATS, 2377, gossip, DNS) and the gossip members — so a scrape and `info` never disagree. Pure.
 */
export function nodeSamples(info: SwarmInfo): NodeSamples {
  const gossip = info.gossip;
  return {
    refused: [
      ...byListener('nats', info.natsRefused),
      ...byListener('manager_port', info.managerPortRefused),
      ...byListener('dns', info.dnsRefused),
      ...byListener('gossip', gossip?.refused ?? []),
    ],
    gossipMembers: gossip
      ? [
          { labels: { state: 'alive' }, value: gossip.membersAlive },
          { labels: { state: 'suspect' }, value: gossip.membersSuspect },
          { labels: { state: 'dead' }, value: gossip.membersDead },
          { labels: { state: 'left' }, value: gossip.membersLeft },
        ]
      : [],
  };
}
