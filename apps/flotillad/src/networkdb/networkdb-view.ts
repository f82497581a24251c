// Pure: the network DB as the agent's networking consumes it, and as `flotilla info` shows it.
import type { GossipInfo, NetworkDbGroupInfo, RefusalCount } from '@flotilla/api';
import type { LiveFacts, LiveNetworkFacts } from '@flotilla/agent';
import type { MemberView, NetworkDb } from '@flotilla/gossip';

/** Every network whose group this node is in, with its members and live rows. */
export function liveFactsOf(db: NetworkDb): LiveFacts {
  const out = new Map<string, LiveNetworkFacts>();
  for (const id of db.joinedNetworks()) out.set(id, { members: db.peers(id), vteps: db.vteps(id), endpoints: db.endpoints(id) });
  return out;
}

/** `info`'s gossip figures; `refused` by cause (GossipNode#refused); network names from `nameOf` (the id when unknown). */
export function gossipInfoOf(members: readonly MemberView[], refused: readonly RefusalCount[], db: NetworkDb | undefined, nameOf: (networkId: string) => string | undefined): GossipInfo {
  const count = (state: MemberView['state']) => members.filter((m) => m.state === state).length;
  const networks: NetworkDbGroupInfo[] = (db?.groupStats() ?? []).map((g) => ({
    networkId: g.networkId,
    networkName: nameOf(g.networkId) ?? g.networkId,
    peers: g.peers,
    endpoints: g.endpoints,
    vteps: g.vteps,
    tombstones: g.tombstones,
  }));
  return {
    membersAlive: count('alive'),
    membersSuspect: count('suspect'),
    membersDead: count('dead'),
    membersLeft: count('left'),
    networks,
    refused: refused.map((r) => ({ cause: r.cause, count: r.count })),
  };
}
