// Pure: reads the JSON that `ip -d -j link`, `bridge -j fdb` and
// `ip -j neigh` print into the observed state of one overlay network.
import { bridgeName, vxlanName } from './overlay-names.js';
import type { BridgeAddress, FdbEntry, NeighEntry, ObservedBridge, ObservedOverlay, ObservedVxlan } from './overlay-types.js';

interface IpLink {
  ifname?: string;
  flags?: string[];
  mtu?: number;
  master?: string;
  address?: string;
  inet6_addr_gen_mode?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean } };
}

function parseJsonArray(text: string, what: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const parsed: unknown = JSON.parse(trimmed);
  if (!Array.isArray(parsed)) throw new Error(`${what}: expected a JSON array, got ${trimmed.slice(0, 80)}`);
  return parsed;
}

export function parseLinks(ipLinkJson: string): IpLink[] {
  return parseJsonArray(ipLinkJson, 'parsing `ip -d -j link show`') as IpLink[];
}

function toBridge(link: IpLink): ObservedBridge {
  return {
    kind: link.linkinfo?.info_kind ?? 'unknown',
    addrGenMode: link.inet6_addr_gen_mode ?? 'unknown',
    mac: link.address ?? '',
    mtu: link.mtu ?? 0,
    up: link.flags?.includes('UP') ?? false,
  };
}

function toVxlan(link: IpLink): ObservedVxlan {
  const data = link.linkinfo?.info_data;
  return {
    kind: link.linkinfo?.info_kind ?? 'unknown',
    vni: data?.id,
    local: data?.local,
    port: data?.port,
    learning: data?.learning,
    master: link.master,
    mtu: link.mtu ?? 0,
    up: link.flags?.includes('UP') ?? false,
  };
}

export function observedLinks(links: readonly IpLink[], vni: number): Pick<ObservedOverlay, 'bridge' | 'vxlan'> {
  const br = links.find((l) => l.ifname === bridgeName(vni));
  const vx = links.find((l) => l.ifname === vxlanName(vni));
  return { bridge: br && toBridge(br), vxlan: vx && toVxlan(vx) };
}

/** Entries of the VXLAN device itself that send to a VTEP (the bridge's own entries have no dst). */
export function parseFdb(bridgeFdbJson: string): FdbEntry[] {
  const rows = parseJsonArray(bridgeFdbJson, 'parsing `bridge -j fdb show`') as { mac?: string; dst?: string }[];
  return rows.filter((r) => r.mac !== undefined && r.dst !== undefined).map((r) => ({ mac: r.mac!, dst: r.dst! }));
}

/** The IPv4 addresses `ip -j addr show dev X` lists, in its order. */
export function parseIpv4Addrs(ipAddrJson: string): BridgeAddress[] {
  const links = parseJsonArray(ipAddrJson, 'parsing `ip -j addr show`') as { addr_info?: { family?: string; local?: string; prefixlen?: number }[] }[];
  return links.flatMap((l) =>
    (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local !== undefined && a.prefixlen !== undefined).map((a) => ({ addr: a.local!, prefix: a.prefixlen! })),
  );
}

export function parsePermanentNeigh(ipNeighJson: string): NeighEntry[] {
  const rows = parseJsonArray(ipNeighJson, 'parsing `ip -j neigh show`') as { dst?: string; lladdr?: string; state?: string[] }[];
  return rows
    .filter((r) => r.dst !== undefined && r.lladdr !== undefined && (r.state ?? []).includes('PERMANENT'))
    .map((r) => ({ ip: r.dst!, mac: r.lladdr! }));
}

/** Names of every overlay device on the node, for finding leftovers. */
export function overlayDeviceNames(links: readonly IpLink[]): string[] {
  return links.map((l) => l.ifname ?? '').filter((n) => /^flt(br|vx)-\d+$/.test(n));
}
