import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export class SwarmInputError extends Error {
  override readonly name = 'SwarmInputError';
}

export const DEFAULT_LISTEN_ADDR = '0.0.0.0:2377';

/** `ip`, `ip:port`, `iface` or `iface:port` → the IP other nodes reach this one on, and the port if given. */
export function resolveAdvertiseAddr(raw: string, interfaces = networkInterfaces()): { host: string; port: number | undefined } {
  if (raw === '') {
    const candidates = Object.values(interfaces)
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    if (candidates.length === 1) return { host: candidates[0]!, port: undefined };
    throw new SwarmInputError(
      candidates.length === 0
        ? 'could not find an address to advertise: specify one with --advertise-addr'
        : `could not choose an IP address to advertise since this system has multiple addresses (${candidates.join(', ')}): specify one with --advertise-addr`,
    );
  }
  const { host, port } = splitHostPort(raw, 'advertise address');
  if (isIP(host) !== 0) return { host, port };
  const ipv4 = (interfaces[host] ?? []).find((a) => a.family === 'IPv4');
  if (!ipv4) throw new SwarmInputError(`advertise address "${raw}": no interface named ${host} with an IPv4 address`);
  return { host: ipv4.address, port };
}

/** `ip:port` of the join/CA listener; a bare IP takes port 2377. */
export function resolveListenAddr(raw: string): { host: string; port: number } {
  const { host, port } = splitHostPort(raw === '' ? DEFAULT_LISTEN_ADDR : raw, 'listen address');
  if (isIP(host) === 0) throw new SwarmInputError(`listen address "${raw}": expected ip[:port]`);
  return { host, port: port ?? 2377 };
}

function splitHostPort(raw: string, what: string): { host: string; port: number | undefined } {
  const colon = raw.lastIndexOf(':');
  if (colon < 0 || raw.indexOf(':') !== colon) return { host: raw, port: undefined };
  const portText = raw.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new SwarmInputError(`${what} "${raw}": invalid port "${portText}"`);
  return { host: raw.slice(0, colon), port };
}
