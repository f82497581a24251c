import { SwarmState, type DockerEngineStatus, type InfoResponse, type ManagerServicesInfo, type SwarmInfo, type VersionResponse } from '@flotilla/api';
import type { DaemonConfig } from './config.js';

/** Facts about the running process, gathered once at start. */
export interface ProcessFacts {
  readonly daemonVersion: string;
  readonly runtimeVersion: string;
  readonly os: string;
  readonly arch: string;
  readonly pid: number;
}

export function currentProcessFacts(daemonVersion: string): ProcessFacts {
  return { daemonVersion, runtimeVersion: process.version, os: process.platform, arch: process.arch, pid: process.pid };
}

/** A node that has not run `swarm init` or `swarm join`. */
export function inactiveSwarm(advertiseAddr: string): SwarmInfo {
  return {
    nodeId: '',
    nodeAddr: advertiseAddr,
    localNodeState: SwarmState.SWARM_STATE_INACTIVE,
    isManager: false,
    error: '',
    clusterId: '',
    managers: 0,
    nodes: 0,
    remoteManagers: [],
    natsRefused: [],
    managerPortRefused: [],
    dnsRefused: [],
  };
}

export function buildVersion(facts: ProcessFacts, docker: DockerEngineStatus): VersionResponse {
  return {
    version: facts.daemonVersion,
    runtimeVersion: facts.runtimeVersion,
    os: facts.os,
    arch: facts.arch,
    engineVersion: docker.engineVersion,
  };
}

export function buildInfo(
  facts: ProcessFacts,
  config: DaemonConfig,
  swarm: SwarmInfo,
  docker: DockerEngineStatus,
  loadBalancerBackend: string,
  managerServices?: ManagerServicesInfo,
): InfoResponse {
  return {
    daemonVersion: facts.daemonVersion,
    runtimeVersion: facts.runtimeVersion,
    os: facts.os,
    arch: facts.arch,
    nodeName: config.nodeName,
    labels: { ...config.labels },
    dataDir: config.dataDir,
    controlSocket: config.controlSocket,
    advertiseAddr: config.advertiseAddr,
    swarm,
    docker,
    loadBalancerBackend,
    pid: facts.pid,
    ...(managerServices ? { managerServices } : {}),
  };
}
