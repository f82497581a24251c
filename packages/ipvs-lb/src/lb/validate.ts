import type { BackendAddr, Vip } from './types.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(addr: string): boolean {
  return IPV4.test(addr);
}

function checkPort(port: number, what: string, anyPort = false): void {
  if (anyPort && port === 0) return;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${what}: port ${String(port)} is not an integer in 1..65535${anyPort ? ' (or 0: every port)' : ''}`);
  }
}

/**
 * Throws a clear error for a VIP that cannot be programmed; called before anything changes.
 * `anyPort`: the back end can take port 0, meaning every port of the protocol goes to the
 * same port of a backend (the backends then have port 0 too).
 */
export function validateVip(vip: Vip, anyPort = false): void {
  if (!isIpv4(vip.addr)) throw new Error(`service VIP: "${vip.addr}" is not an IPv4 address`);
  checkPort(vip.port, `service VIP ${vip.addr}`, anyPort);
  if (vip.protocol !== 'tcp' && vip.protocol !== 'udp') {
    throw new Error(`service VIP ${vip.addr}:${vip.port}: protocol "${String(vip.protocol)}" is not tcp or udp`);
  }
}

export function validateBackends(vip: Vip, backends: readonly BackendAddr[]): void {
  const seen = new Set<string>();
  for (const b of backends) {
    const what = `backend ${b.addr}:${b.port} of service ${vip.addr}:${vip.port}/${vip.protocol}`;
    if (!isIpv4(b.addr)) throw new Error(`${what}: "${b.addr}" is not an IPv4 address`);
    if (vip.port === 0 && b.port !== 0) throw new Error(`${what}: the VIP takes every port, so the backend must have port 0 (same port)`);
    checkPort(b.port, what, vip.port === 0);
    const key = `${b.addr}:${b.port}`;
    if (seen.has(key)) throw new Error(`${what}: listed twice`);
    seen.add(key);
  }
}
