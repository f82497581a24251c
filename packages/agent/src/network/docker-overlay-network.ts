// The Docker side of an overlay network: a bridge-driver network bound to
// the bridge the overlay made, so the engine plumbs containers (veth, MTU,
// address, gateway route) and keeps them attached across restarts.
import type Docker from 'dockerode';
import { bridgeName, dockerNetworkName, NETWORK_ID_LABEL, OVERLAY_MTU } from './overlay-names.js';
import type { OverlayNetworkRef } from './overlay-types.js';

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';
export const INHIBIT_IPV4_OPTION = 'com.docker.network.bridge.inhibit_ipv4';

export function dockerNetworkCreateOptions(network: OverlayNetworkRef): Docker.NetworkCreateOptions {
  return {
    Name: dockerNetworkName(network.id),
    Driver: 'bridge',
    CheckDuplicate: true,
    Attachable: true,
    // The whole subnet, so Docker accepts any address the cluster's allocator chose; the
    // engine's IPAM only ever sees the addresses given with --ip.
    IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
    // The engine leaves the bridge's addresses alone: the agent puts the gateway there itself
    // (overlay-plan). Otherwise the engine takes the first address of the subnet on the bridge
    // for its own; when ipvs-lb's /32 VIPs got there first it removes one, then fails with
    // "bridge IPv4 (VIP) does not match requested configuration", and every later create with
    // "failed to add IPv4 address GW to bridge: file exists". Containers still get the gateway
    // from the IPAM config as their default route, and the engine still masquerades the subnet.
    Options: { [BRIDGE_NAME_OPTION]: bridgeName(network.vni), [MTU_OPTION]: String(OVERLAY_MTU), [INHIBIT_IPV4_OPTION]: 'true' },
    Labels: { [NETWORK_ID_LABEL]: network.id },
  };
}

/** For container create: attach to the network with the allocator's address. */
export function endpointsConfigFor(network: OverlayNetworkRef, ip: string): { EndpointsConfig: Record<string, Docker.EndpointSettings> } {
  return { EndpointsConfig: { [dockerNetworkName(network.id)]: { IPAMConfig: { IPv4Address: ip } } } };
}

/** What about an existing Docker network differs from the one the overlay needs ('' when nothing). */
export function dockerNetworkMismatch(info: Docker.NetworkInspectInfo, network: OverlayNetworkRef): string {
  const want = dockerNetworkCreateOptions(network);
  const cfg = info.IPAM?.Config?.[0];
  const diffs: string[] = [];
  if (info.Driver !== 'bridge') diffs.push(`driver ${info.Driver}`);
  if (info.Options?.[BRIDGE_NAME_OPTION] !== want.Options![BRIDGE_NAME_OPTION]) diffs.push(`bridge ${String(info.Options?.[BRIDGE_NAME_OPTION])}`);
  if (info.Options?.[MTU_OPTION] !== want.Options![MTU_OPTION]) diffs.push(`mtu ${String(info.Options?.[MTU_OPTION])}`);
  // Not compared: inhibit_ipv4. A network made before it has the engine's gateway address on
  // the bridge, which the agent's plan takes as its own, so it keeps serving its containers.
  if (cfg?.Subnet !== network.subnet) diffs.push(`subnet ${String(cfg?.Subnet)}`);
  if (cfg?.Gateway !== network.gateway) diffs.push(`gateway ${String(cfg?.Gateway)}`);
  return diffs.join(', ');
}
