import type { DnsTable } from '../dns/table.js';
import type { BackendAddr, Vip } from '../lb/types.js';

/** Who this node is, as the dispatcher names it in TaskEndpoint.node_id / node_addr. */
export interface LocalNode {
  nodeId: string;
  /** Advertise (VTEP) address. */
  addr: string;
}

/**
 * One service VIP on one network: every port of `protocol` sent to the VIP goes to the same
 * port of a serving task (port 0 = every port, like Docker's fwmark-based VIPs: a service
 * need not declare the ports it listens on).
 */
export interface PlannedVip {
  serviceId: string;
  serviceName: string;
  networkId: string;
  vip: Vip;
  backends: BackendAddr[];
  /**
   * The target ports the service declares for this protocol: what a back end that cannot
   * take every port (IPVS without fwmarks, userspace) balances instead.
   */
  declaredPorts: number[];
}

/** What the node serves on one overlay network. */
export interface PlannedNetwork {
  networkId: string;
  name: string;
  vni: number;
  subnet: string;
  gateway: string;
  ingress: boolean;
  /** VIPs of services on this network: put on the network's bridge so containers' ARP for them is answered here. */
  vips: string[];
  /** Names served to containers on this network. */
  dns: DnsTable;
}

/** Where the routing mesh may send a connection to a published port. */
export type MeshTarget =
  /** A serving task on this node: straight to its ingress address and target port. */
  | { kind: 'local'; taskId: string; addr: string; port: number }
  /** A serving task on another node: to that node's published port; it forwards to its own tasks only. */
  | { kind: 'remote'; taskId: string; addr: string; port: number };

export interface PlannedMeshPort {
  serviceId: string;
  serviceName: string;
  protocol: 'tcp' | 'udp';
  publishedPort: number;
  targetPort: number;
  targets: MeshTarget[];
}

export interface NodeLbPlan {
  vips: PlannedVip[];
  networks: PlannedNetwork[];
  mesh: PlannedMeshPort[];
  /**
   * Advertise addresses of the other nodes on the ingress network: a connection to a
   * published port coming from one of them was already balanced there and goes to a local task.
   */
  meshPeers: string[];
  /**
   * Tasks on this node attached to several overlay networks (ingress aside): their address on
   * each, and the networks whose names they must see whichever gateway they ask.
   */
  multiNetworkClients: { addrs: Record<string, string>; networkIds: string[] }[];
  /** What was left out and why (a service without a VIP on a network, bad addresses, …). */
  skipped: string[];
}
