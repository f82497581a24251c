// Pure: the commands that turn what a node has of one overlay network into
// what it should have. Nothing here touches the kernel; re-planning after the
// commands ran yields no command (the edge's idempotence rests on that).
import { bridgeName, macForIp, OVERLAY_MTU, VXLAN_PORT, vxlanName, ZERO_MAC } from './overlay-names.js';
import type { BridgeAddress, FdbEntry, NeighEntry, NetCommand, ObservedOverlay, OverlayDesired } from './overlay-types.js';
import { parseSubnet } from './overlay-validate.js';

/** The bridge already carries the gateway address with another prefix: nothing is changed. */
export class OverlayAddressConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverlayAddressConflictError';
  }
}

function cmd(why: string, ...argv: string[]): NetCommand {
  return { argv, why };
}

function linkPlan(desired: OverlayDesired, localAddr: string, observed: ObservedOverlay) {
  const { vni, gateway } = desired.network;
  const br = bridgeName(vni);
  const vx = vxlanName(vni);
  const gwMac = macForIp(gateway);
  const out: NetCommand[] = [];

  const bridge = observed.bridge;
  const bridgeFresh = !bridge || bridge.kind !== 'bridge';
  if (bridge && bridgeFresh) out.push(cmd(`${br} exists but is a ${bridge.kind}`, 'ip', 'link', 'del', 'dev', br));
  if (bridgeFresh) out.push(cmd(`create bridge for vni ${vni}`, 'ip', 'link', 'add', 'name', br, 'type', 'bridge'));
  // The same MAC on every node would give every bridge the same IPv6 link-local
  // address, which then fails duplicate address detection across the VXLAN:
  // the bridge makes none (overlays are IPv4 here). Set before it goes up.
  if (bridgeFresh || bridge.addrGenMode !== 'none') {
    out.push(cmd(`bridge ${br}: no IPv6 link-local address`, 'ip', 'link', 'set', 'dev', br, 'addrgenmode', 'none'));
    if (!bridgeFresh) out.push(cmd(`bridge ${br}: drop the link-local address it made`, 'ip', '-6', 'addr', 'flush', 'dev', br, 'scope', 'link'));
  }
  // Every node's bridge carries the gateway with the same MAC: an ARP reply
  // from another node's bridge then names a MAC the local bridge keeps for itself.
  if (bridgeFresh || bridge.mac !== gwMac || bridge.mtu !== OVERLAY_MTU || !bridge.up) {
    out.push(cmd(`bridge ${br}: gateway MAC, MTU ${OVERLAY_MTU}, up`, 'ip', 'link', 'set', 'dev', br, 'address', gwMac, 'mtu', String(OVERLAY_MTU), 'up'));
  }

  out.push(...gatewayAddressPlan(desired, bridgeFresh ? [] : observed.bridgeAddrs));

  const vxlan = observed.vxlan;
  const vxlanRight =
    vxlan !== undefined &&
    vxlan.kind === 'vxlan' &&
    vxlan.vni === vni &&
    vxlan.local === localAddr &&
    vxlan.port === VXLAN_PORT &&
    vxlan.learning === false;
  if (vxlan && !vxlanRight) out.push(cmd(`${vx} has other parameters than vni ${vni} local ${localAddr} dstport ${VXLAN_PORT} nolearning`, 'ip', 'link', 'del', 'dev', vx));
  if (!vxlanRight) {
    out.push(cmd(`create VXLAN device for vni ${vni}`, 'ip', 'link', 'add', vx, 'type', 'vxlan', 'id', String(vni), 'local', localAddr, 'dstport', String(VXLAN_PORT), 'nolearning'));
  }
  if (!vxlanRight || vxlan.master !== br || vxlan.mtu !== OVERLAY_MTU || !vxlan.up || bridgeFresh) {
    out.push(cmd(`attach ${vx} to ${br}`, 'ip', 'link', 'set', 'dev', vx, 'master', br, 'mtu', String(OVERLAY_MTU), 'up'));
  }
  return { out, bridgeFresh, vxlanFresh: !vxlanRight };
}

/**
 * The gateway address on the bridge is the agent's, not the engine's (the Docker network is made
 * with inhibit_ipv4, see docker-overlay-network.ts). Present with the subnet's prefix: nothing
 * to do, wherever it is in the list (ipvs-lb's /32 VIPs may come first). Present with another
 * prefix: someone else's address, refused before anything runs.
 */
function gatewayAddressPlan(desired: OverlayDesired, have: readonly BridgeAddress[]): NetCommand[] {
  const { id, vni, subnet, gateway } = desired.network;
  const br = bridgeName(vni);
  const prefix = parseSubnet(subnet)?.prefix;
  if (prefix === undefined) throw new OverlayAddressConflictError(`overlay network ${JSON.stringify(id)}: subnet "${subnet}" is not an IPv4 network address`);
  const mine = have.filter((a) => a.addr === gateway);
  if (mine.some((a) => a.prefix === prefix)) return [];
  const other = mine[0];
  if (other) {
    throw new OverlayAddressConflictError(
      `bridge ${br} has ${gateway}/${other.prefix}, but overlay network ${JSON.stringify(id)} needs its gateway as ${gateway}/${prefix} (subnet ${subnet}); ` +
        `nothing was changed: remove that address (ip addr del ${gateway}/${other.prefix} dev ${br}) or the bridge`,
    );
  }
  // `replace`: an identical address someone added meanwhile is success, not "file exists".
  return [cmd(`bridge ${br}: gateway ${gateway}/${prefix}`, 'ip', 'addr', 'replace', `${gateway}/${prefix}`, 'dev', br)];
}

export function desiredFdb(desired: OverlayDesired, localAddr: string): FdbEntry[] {
  const entries = new Map<string, FdbEntry>();
  for (const peer of desired.peers) {
    if (peer !== localAddr) entries.set(`${ZERO_MAC}|${peer}`, { mac: ZERO_MAC, dst: peer });
  }
  for (const ep of desired.endpoints) {
    if (ep.node !== localAddr) entries.set(`${ep.mac}|${ep.node}`, { mac: ep.mac, dst: ep.node });
  }
  return [...entries.values()];
}

export function desiredNeigh(desired: OverlayDesired, localAddr: string): NeighEntry[] {
  return desired.endpoints.filter((ep) => ep.node !== localAddr).map((ep) => ({ ip: ep.ip, mac: ep.mac }));
}

/** Commands that make the node's bridge, VXLAN device, forwarding and neighbour entries match `desired`. */
export function planOverlay(desired: OverlayDesired, localAddr: string, observed: ObservedOverlay): NetCommand[] {
  const { vni } = desired.network;
  const br = bridgeName(vni);
  const vx = vxlanName(vni);
  const links = linkPlan(desired, localAddr, observed);
  const out = [...links.out];

  // A device made anew starts without entries: the old ones went with the old device.
  const haveFdb = links.vxlanFresh ? [] : observed.fdb;
  const wantFdb = desiredFdb(desired, localAddr);
  const key = (e: FdbEntry) => `${e.mac}|${e.dst}`;
  const wantKeys = new Set(wantFdb.map(key));
  const haveKeys = new Set(haveFdb.map(key));
  for (const e of haveFdb) {
    if (!wantKeys.has(key(e))) out.push(cmd(`stale forwarding entry ${e.mac} -> ${e.dst}`, 'bridge', 'fdb', 'del', e.mac, 'dev', vx, 'dst', e.dst));
  }
  for (const e of wantFdb) {
    if (!haveKeys.has(key(e))) out.push(cmd(`forward ${e.mac === ZERO_MAC ? 'floods' : e.mac} to VTEP ${e.dst}`, 'bridge', 'fdb', 'append', e.mac, 'dev', vx, 'dst', e.dst));
  }

  const haveNeigh = links.bridgeFresh ? [] : observed.neigh;
  const wantNeigh = new Map(desiredNeigh(desired, localAddr).map((n) => [n.ip, n.mac]));
  const haveNeighMap = new Map(haveNeigh.map((n) => [n.ip, n.mac]));
  for (const n of haveNeigh) {
    if (!wantNeigh.has(n.ip)) out.push(cmd(`stale neighbour ${n.ip}`, 'ip', 'neigh', 'del', n.ip, 'dev', br));
  }
  for (const [ip, mac] of wantNeigh) {
    if (haveNeighMap.get(ip) !== mac) out.push(cmd(`neighbour ${ip} is ${mac}`, 'ip', 'neigh', 'replace', ip, 'lladdr', mac, 'dev', br, 'nud', 'permanent'));
  }
  return out;
}

/** Commands that leave nothing of the overlay with `vni` on the node (entries go with the devices). */
export function planOverlayRemoval(vni: number, observed: ObservedOverlay): NetCommand[] {
  const out: NetCommand[] = [];
  if (observed.vxlan) out.push(cmd(`remove VXLAN device of vni ${vni}`, 'ip', 'link', 'del', 'dev', vxlanName(vni)));
  if (observed.bridge) out.push(cmd(`remove bridge of vni ${vni}`, 'ip', 'link', 'del', 'dev', bridgeName(vni)));
  return out;
}
