import { NodeRole, SwarmState as SwarmStateEnum, type Node, type SwarmInfo } from '@flotilla/api';
import type { SwarmState } from './swarm-state.js';

/** `info`'s Swarm section on a manager: counts and manager addresses from the store. */
export function managerSwarmInfo(state: SwarmState, nodes: Iterable<Node>): SwarmInfo {
  const all = [...nodes];
  const managers = all.filter((n) => n.role === NodeRole.NODE_ROLE_MANAGER);
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
  };
}

/** On a worker: pending until its agent is connected; it knows only the manager it joined through. */
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
    remoteManagers: state.joinedVia ? [{ nodeId: '', addr: state.joinedVia }] : [],
  };
}
