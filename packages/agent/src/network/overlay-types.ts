// The desired state of one overlay network on one node, and what the node
// has of it. The desired state comes from the dispatcher (or the gossip
// network DB later); the observed state is read from the kernel.

export interface OverlayNetworkRef {
  /** The cluster's network id (from the store). */
  id: string;
  /** VXLAN network identifier chosen by the allocator, 1..16777215. */
  vni: number;
  /** IPv4 CIDR chosen by the allocator, e.g. 198.19.10.0/24. */
  subnet: string;
  /** The network's gateway address inside the subnet (same on every node). */
  gateway: string;
}

export interface OverlayEndpoint {
  /** The container's address on the network (chosen by the allocator). */
  ip: string;
  /** The container's MAC; Docker derives it from the IP (see macForIp). */
  mac: string;
  /** Advertise (VTEP) address of the node that runs the container. */
  node: string;
}

export interface OverlayDesired {
  network: OverlayNetworkRef;
  /** VTEP addresses of the other nodes that have the network (this node's own address is ignored). */
  peers: readonly string[];
  /** Every endpoint of the network in the cluster; the ones on this node need no entries. */
  endpoints: readonly OverlayEndpoint[];
}

export interface ObservedBridge {
  kind: string;
  /** `none` once the bridge makes no IPv6 link-local address (see overlay-plan). */
  addrGenMode: string;
  mac: string;
  mtu: number;
  up: boolean;
}

export interface ObservedVxlan {
  kind: string;
  vni: number | undefined;
  local: string | undefined;
  port: number | undefined;
  learning: boolean | undefined;
  master: string | undefined;
  mtu: number;
  up: boolean;
}

/** A forwarding entry of the VXLAN device that sends to a remote VTEP. */
export interface FdbEntry {
  mac: string;
  dst: string;
}

/** A permanent neighbour entry on the bridge. */
export interface NeighEntry {
  ip: string;
  mac: string;
}

/** An IPv4 address on the bridge, as `ip -j addr` lists it. */
export interface BridgeAddress {
  addr: string;
  prefix: number;
}

export interface ObservedOverlay {
  bridge: ObservedBridge | undefined;
  /** The bridge's IPv4 addresses in the kernel's order (none without a bridge). */
  bridgeAddrs: BridgeAddress[];
  vxlan: ObservedVxlan | undefined;
  fdb: FdbEntry[];
  neigh: NeighEntry[];
}

/** One command for the kernel, with the reason it is needed (for logs and errors). */
export interface NetCommand {
  argv: string[];
  why: string;
}
