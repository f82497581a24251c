// swarm.Network (the cluster object a task's attachments embed) and network.Inspect (what
// `network inspect` prints for a swarm-scoped network), from Flotilla's Network.
import type { Network, NetworkView } from '@flotilla/api';
import { goMap, goTime, objectHeader, opt } from './go-values.js';
import type { Json } from './service.js';

/** The option that carries an overlay network's VXLAN id, as docker shows it. */
export const VXLAN_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';

/** swarm.Network */
export function dockerNetwork(n: Network): Json {
  const ipam = (n.status?.ipam?.length ? n.status.ipam : n.spec?.ipam) ?? [];
  return {
    ...objectHeader(n.id, n.meta),
    Spec: {
      ...opt('Name', n.spec?.annotations?.name ?? ''),
      Labels: goMap(n.spec?.annotations?.labels),
      DriverConfiguration: { Name: n.spec?.driver || 'overlay' },
      ...opt('Internal', n.spec?.internal ?? false),
      ...opt('Attachable', n.spec?.attachable ?? false),
      ...opt('Ingress', n.spec?.ingress ?? false),
      IPAMOptions: { Driver: { Name: 'default' }, ...opt('Configs', (n.spec?.ipam ?? []).map(ipamConfig)) },
      Scope: 'swarm',
    },
    DriverState: { Name: n.spec?.driver || 'overlay', ...(n.status?.vxlanId ? { Options: { [VXLAN_OPTION]: String(n.status.vxlanId) } } : {}) },
    IPAMOptions: { Driver: { Name: 'default' }, ...opt('Configs', ipam.map(ipamConfig)) },
  };
}

function ipamConfig(c: { subnet: string; gateway: string; range: string }): Json {
  return { ...opt('Subnet', c.subnet), ...opt('Range', c.range), ...opt('Gateway', c.gateway) };
}

export interface NetworkInspectOptions {
  /** `network inspect --verbose`: the services on the network with their VIPs and tasks. */
  verbose?: boolean;
}

/** network.Inspect, as `docker network inspect` prints a swarm-scoped overlay network. */
export function dockerNetworkInspect(v: NetworkView, opts: NetworkInspectOptions = {}): Json {
  const n = v.network!;
  const ipam = (n.status?.ipam?.length ? n.status.ipam : n.spec?.ipam) ?? [];
  const services: Record<string, Json> = {};
  if (opts.verbose) {
    for (const s of [...v.services].sort((a, b) => a.name.localeCompare(b.name))) {
      services[s.name] = {
        VIP: s.virtualIp.replace(/\/\d+$/, ''),
        Ports: [],
        LocalLBIndex: 0,
        Tasks: v.tasks
          .filter((t) => t.name === s.name || t.name.startsWith(`${s.name}.`))
          .map((t) => ({ Name: `${t.name}.${t.taskId}`, EndpointID: '', EndpointIP: t.address.replace(/\/\d+$/, ''), Info: { 'Host IP': '' } })),
      };
    }
  }
  return {
    Name: n.spec?.annotations?.name ?? '',
    Id: n.id,
    Created: goTime(n.meta?.createdAt ?? 0),
    Scope: 'swarm',
    Driver: n.spec?.driver || 'overlay',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: ipam.map((c) => ({ ...opt('Subnet', c.subnet), ...opt('IPRange', c.range), ...opt('Gateway', c.gateway) })) },
    Internal: n.spec?.internal ?? false,
    Attachable: n.spec?.attachable ?? false,
    Ingress: n.spec?.ingress ?? false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: n.status?.vxlanId ? { [VXLAN_OPTION]: String(n.status.vxlanId) } : {},
    Labels: goMap(n.spec?.annotations?.labels),
    ...(opts.verbose ? { Services: services } : {}),
  };
}
