// Names and addresses derived from the network alone, so every node (and a
// restarted agent) arrives at the same ones without being told.

/** UDP port of VXLAN (IANA). */
export const VXLAN_PORT = 4789;
/** 1500 minus the 50 bytes VXLAN over IPv4 adds (outer IP 20, UDP 8, VXLAN 8, inner Ethernet 14). */
export const OVERLAY_MTU = 1450;
export const ZERO_MAC = '00:00:00:00:00:00';
export const NETWORK_ID_LABEL = 'com.flotilla.network.id';

// Interface names are at most 15 bytes: "fltbr-16777215" is 14.
export function bridgeName(vni: number): string {
  return `fltbr-${vni}`;
}

export function vxlanName(vni: number): string {
  return `fltvx-${vni}`;
}

export function dockerNetworkName(networkId: string): string {
  return `flotilla-ovl-${networkId}`;
}

/**
 * The MAC Docker's bridge driver gives an endpoint with address `ip`
 * (02:42 followed by the four address bytes); used for the gateway too, so
 * every node's bridge answers for the gateway with the same MAC.
 */
export function macForIp(ip: string): string {
  const bytes = ipv4Bytes(ip);
  if (!bytes) throw new Error(`macForIp: "${ip}" is not an IPv4 address`);
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export function ipv4Bytes(ip: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  if (bytes.some((b) => b > 255)) return undefined;
  return bytes;
}
