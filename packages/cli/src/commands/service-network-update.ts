import { PortProtocol, type NetworkAttachmentConfig, type PortConfig } from '@flotilla/api';
import { CliError } from '../errors.js';
import { parseNetworkFlag, parsePublishFlag } from './service-network-flags.js';

const usage = (message: string) => new CliError(message, 2);

/** `service update --network-rm NAME --network-add NAME|name=,alias=`: removals first, an attached network cannot be added twice. */
export function updatedNetworks(current: readonly NetworkAttachmentConfig[], add: readonly string[], rm: readonly string[]): NetworkAttachmentConfig[] {
  for (const r of rm) {
    if (!current.some((n) => n.target === r)) throw usage(`invalid argument "${r}" for "--network-rm" flag: the service is not attached to network ${r}`);
  }
  const kept = current.filter((n) => !rm.includes(n.target));
  for (const raw of add) {
    const n = parseNetworkFlag(raw);
    if (kept.some((k) => k.target === n.target)) throw usage(`invalid argument "${raw}" for "--network-add" flag: the service is already attached to network ${n.target}`);
    kept.push(n);
  }
  return kept;
}

/** `--publish-rm TARGET[/PROTO]` as docker: every port with that target port (and protocol, tcp by default). */
function parsePublishRm(raw: string): { target: number; protocol: PortProtocol } {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(raw.trim());
  const target = m ? Number(m[1]) : NaN;
  if (!m || target < 1 || target > 65535) throw usage(`invalid argument "${raw}" for "--publish-rm" flag: expected TARGET[/tcp|udp]`);
  return { target, protocol: m[2]?.toLowerCase() === 'udp' ? PortProtocol.PORT_PROTOCOL_UDP : PortProtocol.PORT_PROTOCOL_TCP };
}

/**
 * `service update --publish-rm TARGET[/PROTO] --publish-add SPEC`: removals first; an added port
 * replaces one already published on the same port and protocol (or, unnumbered, with the same target).
 */
export function updatedPorts(current: readonly PortConfig[], add: readonly string[], rm: readonly string[]): PortConfig[] {
  let ports = [...current];
  for (const raw of rm) {
    const { target, protocol } = parsePublishRm(raw);
    const before = ports.length;
    ports = ports.filter((p) => !(p.targetPort === target && p.protocol === protocol));
    if (ports.length === before) throw usage(`invalid argument "${raw}" for "--publish-rm" flag: no port of the service has target ${raw}`);
  }
  for (const p of add.flatMap(parsePublishFlag)) {
    ports = ports.filter((q) =>
      q.protocol !== p.protocol || (p.publishedPort > 0 ? q.publishedPort !== p.publishedPort : !(q.publishedPort === 0 && q.targetPort === p.targetPort)),
    );
    ports.push(p);
  }
  return ports;
}
