// Checks a desired overlay before anything is touched: bad input changes nothing.
import { ipv4Bytes } from './overlay-names.js';
import type { OverlayDesired } from './overlay-types.js';

export class OverlayInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverlayInputError';
  }
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const MAX_VNI = 0xffffff;

function toInt(bytes: number[]): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

export interface Ipv4Subnet {
  base: number;
  prefix: number;
}

export function parseSubnet(cidr: string): Ipv4Subnet | undefined {
  const [addr, len, ...rest] = cidr.split('/');
  if (addr === undefined || len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len)) return undefined;
  const bytes = ipv4Bytes(addr);
  const prefix = Number(len);
  if (!bytes || prefix > 30 || prefix < 8) return undefined;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  const base = toInt(bytes);
  if ((base & mask) >>> 0 !== base) return undefined;
  return { base, prefix };
}

/** True when `ip` is a host address of `subnet` (not its network or broadcast address). */
export function isHostOf(subnet: Ipv4Subnet, ip: string): boolean {
  const bytes = ipv4Bytes(ip);
  if (!bytes) return false;
  const size = 2 ** (32 - subnet.prefix);
  const offset = toInt(bytes) - subnet.base;
  return offset > 0 && offset < size - 1;
}

export function validateOverlay(desired: OverlayDesired, localAddr: string): void {
  const { network } = desired;
  const what = `overlay network ${JSON.stringify(network.id)}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(network.id)) {
    throw new OverlayInputError(`${what}: the id must be 1-64 letters, digits, "_", "." or "-"`);
  }
  if (!Number.isInteger(network.vni) || network.vni < 1 || network.vni > MAX_VNI) {
    throw new OverlayInputError(`${what}: vni ${String(network.vni)} is not an integer in 1..${MAX_VNI}`);
  }
  const subnet = parseSubnet(network.subnet);
  if (!subnet) throw new OverlayInputError(`${what}: subnet "${network.subnet}" is not an IPv4 network address with a /8../30 prefix`);
  if (!isHostOf(subnet, network.gateway)) {
    throw new OverlayInputError(`${what}: gateway "${network.gateway}" is not a host address of ${network.subnet}`);
  }
  if (!ipv4Bytes(localAddr)) throw new OverlayInputError(`${what}: this node's advertise address "${localAddr}" is not IPv4`);
  for (const peer of desired.peers) {
    if (!ipv4Bytes(peer)) throw new OverlayInputError(`${what}: peer VTEP "${peer}" is not an IPv4 address`);
  }
  const seenIps = new Set<string>([network.gateway]);
  for (const ep of desired.endpoints) {
    if (!isHostOf(subnet, ep.ip)) throw new OverlayInputError(`${what}: endpoint ip "${ep.ip}" is not a host address of ${network.subnet}`);
    if (seenIps.has(ep.ip)) throw new OverlayInputError(`${what}: endpoint ip "${ep.ip}" is used twice (or is the gateway)`);
    seenIps.add(ep.ip);
    if (!MAC_RE.test(ep.mac)) throw new OverlayInputError(`${what}: endpoint ${ep.ip} has MAC "${ep.mac}", expected lowercase aa:bb:cc:dd:ee:ff`);
    if (!ipv4Bytes(ep.node)) throw new OverlayInputError(`${what}: endpoint ${ep.ip} is on node "${ep.node}", expected its IPv4 VTEP address`);
  }
}
