// The Docker side of an overlay network: a bridge-driver network bound to
// the bridge the overlay made, so the engine plumbs containers (veth, MTU,
// address, gateway route) and keeps them attached across restarts.
import type Docker from 'dockerode';
import { bridgeName, dockerNetworkName, NETWORK_ID_LABEL, OVERLAY_MTU } from './overlay-names.js';
import type { OverlayNetworkRef } from './overlay-types.js';

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';

export function dockerNetworkCreateOptions(network: OverlayNetworkRef): Docker.NetworkCreateOptions {
  return {
    Name: dockerNetworkName(network.id),
    Driver: 'bridge',
    CheckDuplicate: true,
    Attachable: true,
    // The whole subnet, so Docker accepts any address the cluster's allocator chose; the
    // engine's IPAM only ever sees the addresses given with --ip.
    IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
    Options: { [BRIDGE_NAME_OPTION]: bridgeName(network.vni), [MTU_OPTION]: String(OVERLAY_MTU) },
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
  if (cfg?.Subnet !== network.subnet) diffs.push(`subnet ${String(cfg?.Subnet)}`);
  if (cfg?.Gateway !== network.gateway) diffs.push(`gateway ${String(cfg?.Gateway)}`);
  return diffs.join(', ');
}
