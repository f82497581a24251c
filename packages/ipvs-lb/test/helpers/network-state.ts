import { EndpointMode, NodeNetworkState, type OverlayNetworkState, PortProtocol, PublishMode, type ServiceEndpoints } from '@flotilla/api';

// Builders for NodeNetworkState fixtures, in the shape the dispatcher publishes.
export function overlay(id: string, name: string, subnet: string, gateway: string, vni: number, peers: string[], ingress = false): OverlayNetworkState {
  return {
    network: {
      id,
      spec: { annotations: { name, labels: {} }, driver: 'overlay', ipam: [], attachable: false, internal: false, ingress },
      status: { ipam: [{ subnet, gateway, range: '' }], vxlanId: vni },
      meta: undefined,
    },
    peerAddrs: peers,
  };
}

export interface TaskFixture {
  id: string;
  slot: number;
  node: string;
  nodeAddr: string;
  serving?: boolean;
  addrs: Record<string, string>; // networkId → CIDR
}

export function service(
  id: string,
  name: string,
  opts: { vips?: Record<string, string>; dnsrr?: boolean; aliases?: string[]; ports?: { target: number; published: number; udp?: boolean; host?: boolean }[]; tasks: TaskFixture[] },
): ServiceEndpoints {
  const ports = (opts.ports ?? []).map((p) => ({
    name: '',
    protocol: p.udp ? PortProtocol.PORT_PROTOCOL_UDP : PortProtocol.PORT_PROTOCOL_TCP,
    targetPort: p.target,
    publishedPort: p.published,
    publishMode: p.host ? PublishMode.PUBLISH_MODE_HOST : PublishMode.PUBLISH_MODE_INGRESS,
  }));
  return {
    serviceId: id,
    serviceName: name,
    aliases: opts.aliases ?? [],
    endpoint: {
      spec: { mode: opts.dnsrr ? EndpointMode.ENDPOINT_MODE_DNSRR : EndpointMode.ENDPOINT_MODE_VIP, ports },
      ports,
      virtualIps: Object.entries(opts.vips ?? {}).map(([networkId, addr]) => ({ networkId, addr })),
    },
    tasks: opts.tasks.map((t) => ({
      taskId: t.id,
      slot: t.slot,
      nodeId: t.node,
      nodeAddr: t.nodeAddr,
      networks: Object.entries(t.addrs).map(([networkId, addr]) => ({ networkId, addresses: [addr], aliases: [] })),
      serving: t.serving ?? true,
    })),
  };
}

export function state(sequence: number, networks: OverlayNetworkState[], services: ServiceEndpoints[]): NodeNetworkState {
  return NodeNetworkState.fromPartial({ sessionId: 's1', sequence, networks, services });
}
