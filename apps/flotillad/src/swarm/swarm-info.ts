import { SwarmState as SwarmStateEnum, type GossipInfo, type Node, type RefusalCount, type SwarmInfo } from '@flotilla/api';
import { currentManagers } from '../manager/current-managers.js';
import { workerRenewalAddrs } from './cert-renewal.js';
import type { SwarmState } from './swarm-state.js';

/** What a manager's listeners refused, by cause (its nats-server's, and 2377's). */
export interface ManagerRefusals {
  readonly nats: readonly RefusalCount[];
  readonly managerPort: readonly RefusalCount[];
}

/**
 * `info`'s Swarm section on a manager: counts and manager addresses from the store. Managers are
 * the current ones (`denied`: dropped by --force-new-cluster are not); Nodes counts every node
 * listed, as `node ls` does.
 */
export function managerSwarmInfo(
  state: SwarmState,
  nodes: Iterable<Node>,
  denied: readonly string[],
  refused: ManagerRefusals = { nats: [], managerPort: [] },
): SwarmInfo {
  const all = [...nodes];
  const managers = currentManagers(all, denied);
  return {
    nodeId: state.nodeId,
    nodeAddr: state.advertiseHost,
    localNodeState: SwarmStateEnum.SWARM_STATE_ACTIVE,
    isManager: true,
    error: '',
    clusterId: state.clusterId,
    managers: managers.length,
    nodes: all.length,
    remoteManagers: managers.map((n) => ({ nodeId: n.id, addr: n.managerStatus?.addr ?? '' })),
    natsRefused: [...refused.nats],
    managerPortRefused: [...refused.managerPort],
    dnsRefused: [],
  };
}

/** On a worker: pending until its agent is connected; the managers are the ones its heartbeats last told (the one it joined through first). */
export function workerSwarmInfo(state: SwarmState, connected: boolean): SwarmInfo {
  return {
    nodeId: state.nodeId,
    nodeAddr: state.advertiseHost,
    localNodeState: connected ? SwarmStateEnum.SWARM_STATE_ACTIVE : SwarmStateEnum.SWARM_STATE_PENDING,
    isManager: false,
    error: '',
    clusterId: state.clusterId,
    managers: 0,
    nodes: 0,
    remoteManagers: workerRenewalAddrs(state).map((addr) => ({ nodeId: '', addr })),
    natsRefused: [],
    managerPortRefused: [],
    dnsRefused: [],
  };
}

/** The node's gossip figures, once its gossip member runs. */
export function withGossip(info: SwarmInfo, gossip: GossipInfo | undefined): SwarmInfo {
  return gossip ? { ...info, gossip } : info;
}

/** What this node's embedded DNS servers refused (every node that runs a load balancer). */
export function withDnsRefused(info: SwarmInfo, dnsRefused: readonly RefusalCount[]): SwarmInfo {
  return { ...info, dnsRefused: [...dnsRefused] };
}
