import { isIpv4 } from '../lb/validate.js';

/** "10.0.1.5/24" → "10.0.1.5"; a bare address is returned as is; undefined when it is not IPv4. */
export function hostOf(cidrOrAddr: string): string | undefined {
  const addr = cidrOrAddr.split('/')[0] ?? '';
  return isIpv4(addr) ? addr : undefined;
}

function toInt(addr: string): number {
  return addr.split('.').reduce((acc, b) => acc * 256 + Number(b), 0);
}

/** Whether `addr` lies in `cidr` (IPv4 only; false for anything malformed). */
export function inSubnet(addr: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!net || !isIpv4(net) || !isIpv4(addr) || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(toInt(addr) / size) === Math.floor(toInt(net) / size);
}
