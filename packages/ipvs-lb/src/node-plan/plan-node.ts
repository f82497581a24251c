import {
  EndpointMode,
  PortProtocol,
  PublishMode,
  type NodeNetworkState,
  type OverlayNetworkState,
  type ServiceEndpoints,
  type TaskEndpoint,
} from '@flotilla/api';
import type { DnsService } from '../dns/table.js';
import { hostOf } from './cidr.js';
import type { LocalNode, MeshTarget, NodeLbPlan, PlannedMeshPort, PlannedNetwork, PlannedVip } from './types.js';

const PROTOCOLS = ['tcp', 'udp'] as const;

/**
 * Pure: what this node must program for a NodeNetworkState — VIP load balancing per
 * service and network (serving tasks only; dnsrr services get none), the names each
 * network's DNS answers, and the routing-mesh targets of every ingress-published port.
 * The ingress network carries the mesh only: no VIPs and no names on it, as in Docker.
 */
export function planNode(state: NodeNetworkState, local: LocalNode): NodeLbPlan {
  const skipped: string[] = [];
  const services = [...state.services].sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.serviceId.localeCompare(b.serviceId));
  const networks: PlannedNetwork[] = [];
  const vips: PlannedVip[] = [];
  let ingress: OverlayNetworkState | undefined;

  for (const ons of state.networks) {
    const net = ons.network;
    const ipam = net?.status?.ipam?.[0];
    const vni = net?.status?.vxlanId ?? 0;
    const gateway = hostOf(ipam?.gateway ?? '');
    if (!net || !ipam || !gateway || vni === 0) {
      skipped.push(`network ${net?.id ?? '?'}: not allocated yet (no subnet, gateway or VXLAN id)`);
      continue;
    }
    const isIngress = net.spec?.ingress === true;
    if (isIngress) ingress = ons;
    const planned: PlannedNetwork = {
      networkId: net.id,
      name: net.spec?.annotations?.name ?? net.id,
      vni,
      subnet: ipam.subnet,
      gateway,
      ingress: isIngress,
      vips: [],
      dns: { services: [] },
    };
    if (!isIngress) {
      for (const svc of services) {
        const onNet = servicePresence(svc, net.id);
        if (!onNet) continue;
        const dns = dnsService(svc, net.id, skipped);
        if (dns) planned.dns.services.push(dns);
        if (dns?.endpointMode === 'vip' && dns.vip) {
          planned.vips.push(dns.vip);
          const backends = servingAddrs(svc, net.id).map((addr) => ({ addr, port: 0 }));
          for (const protocol of PROTOCOLS) {
            const declaredPorts = [...new Set((svc.endpoint?.ports ?? []).filter((p) => protocolOf(p.protocol) === protocol).map((p) => p.targetPort))].sort((a, b) => a - b);
            vips.push({ serviceId: svc.serviceId, serviceName: svc.serviceName, networkId: net.id, vip: { addr: dns.vip, port: 0, protocol }, backends, declaredPorts });
          }
        }
      }
    }
    networks.push(planned);
  }

  const mesh = meshPorts(services, ingress, local, skipped);
  const meshPeers = ingress ? [...new Set(ingress.peerAddrs.filter((a) => a !== local.addr))].sort() : [];
  const named = new Set(networks.filter((n) => !n.ingress).map((n) => n.networkId));
  const multiNetworkClients: NodeLbPlan['multiNetworkClients'] = [];
  for (const svc of services) {
    for (const t of svc.tasks) {
      if (t.nodeId !== local.nodeId) continue;
      const addrs: Record<string, string> = {};
      for (const att of t.networks) {
        const addr = hostOf(att.addresses[0] ?? '');
        if (addr && named.has(att.networkId)) addrs[att.networkId] = addr;
      }
      const networkIds = Object.keys(addrs).sort();
      if (networkIds.length > 1) multiNetworkClients.push({ addrs, networkIds });
    }
  }
  return { vips, networks, mesh, meshPeers, multiNetworkClients, skipped };
}

/** A service is on a network when it has a VIP there or one of its tasks is attached to it. */
function servicePresence(svc: ServiceEndpoints, networkId: string): boolean {
  return (
    (svc.endpoint?.virtualIps ?? []).some((v) => v.networkId === networkId) ||
    svc.tasks.some((t) => t.networks.some((n) => n.networkId === networkId))
  );
}

function taskAddr(task: TaskEndpoint, networkId: string): string | undefined {
  const att = task.networks.find((n) => n.networkId === networkId);
  return att ? hostOf(att.addresses[0] ?? '') : undefined;
}

function servingTasks(svc: ServiceEndpoints): TaskEndpoint[] {
  return svc.tasks.filter((t) => t.serving).sort((a, b) => a.slot - b.slot || a.taskId.localeCompare(b.taskId));
}

function servingAddrs(svc: ServiceEndpoints, networkId: string): string[] {
  const out = new Set<string>();
  for (const t of servingTasks(svc)) {
    const addr = taskAddr(t, networkId);
    if (addr) out.add(addr);
  }
  return [...out];
}

function dnsService(svc: ServiceEndpoints, networkId: string, skipped: string[]): DnsService | undefined {
  const dnsrr = svc.endpoint?.spec?.mode === EndpointMode.ENDPOINT_MODE_DNSRR;
  const tasks = servingTasks(svc).flatMap((t) => {
    const addr = taskAddr(t, networkId);
    return addr ? [{ slot: t.slot, taskId: t.taskId, addr }] : [];
  });
  const aliases = svc.aliases?.length ? { aliases: svc.aliases } : {};
  if (dnsrr) return { name: svc.serviceName, endpointMode: 'dnsrr', tasks, ...aliases };
  const vipCidr = (svc.endpoint?.virtualIps ?? []).find((v) => v.networkId === networkId)?.addr;
  const vip = vipCidr ? hostOf(vipCidr) : undefined;
  if (!vip) {
    skipped.push(`service ${svc.serviceName} (${svc.serviceId}): no virtual IP on network ${networkId} yet`);
    return undefined;
  }
  return { name: svc.serviceName, endpointMode: 'vip', vip, tasks, ...aliases };
}

function meshPorts(services: ServiceEndpoints[], ingress: OverlayNetworkState | undefined, local: LocalNode, skipped: string[]): PlannedMeshPort[] {
  const out: PlannedMeshPort[] = [];
  for (const svc of services) {
    for (const port of svc.endpoint?.ports ?? []) {
      if (port.publishMode === PublishMode.PUBLISH_MODE_HOST || port.publishedPort === 0) continue;
      if (!ingress?.network) {
        skipped.push(`service ${svc.serviceName}: port ${port.publishedPort} published but this node has no ingress network`);
        continue;
      }
      const ingressId = ingress.network.id;
      const protocol = protocolOf(port.protocol);
      const targets: MeshTarget[] = [];
      for (const t of servingTasks(svc)) {
        if (t.nodeId === local.nodeId) {
          const addr = taskAddr(t, ingressId);
          if (addr) targets.push({ kind: 'local', taskId: t.taskId, addr, port: port.targetPort });
          else skipped.push(`task ${t.taskId} of ${svc.serviceName}: no address on the ingress network`);
        } else if (hostOf(t.nodeAddr) && t.nodeAddr !== local.addr) {
          targets.push({ kind: 'remote', taskId: t.taskId, addr: t.nodeAddr, port: port.publishedPort });
        } else {
          skipped.push(`task ${t.taskId} of ${svc.serviceName}: node address "${t.nodeAddr}" unusable`);
        }
      }
      out.push({ serviceId: svc.serviceId, serviceName: svc.serviceName, protocol, publishedPort: port.publishedPort, targetPort: port.targetPort, targets });
    }
  }
  return out;
}

function protocolOf(p: PortProtocol): 'tcp' | 'udp' {
  return p === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp';
}
