// Published ports of a service's endpoint, claimed cluster-wide for the ingress routing mesh.
// Pure apart from the PublishedPorts table it is given.
import { Endpoint, PortProtocol, PublishMode, type PortConfig, type Service } from '@flotilla/api';
import type { Protocol, PublishedPorts } from '../ports/published-ports.js';

export type EndpointAllocation = { ok: true; endpoint: Endpoint | undefined } | { ok: false; error: string };

const protocolOf = (p: PortConfig): Protocol => (p.protocol === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp');
const isIngress = (p: PortConfig): boolean => p.publishMode !== PublishMode.PUBLISH_MODE_HOST;

/**
 * Claims the service's ingress ports (the service id is the owner) and returns the endpoint to
 * store. A port asked for without a number keeps the one it was given before, if still free, so
 * an unrelated spec change does not move it. On a conflict nothing is claimed that was not
 * claimed before, and the error names the port and its owner.
 */
export function allocateEndpoint(service: Service, ports: PublishedPorts): EndpointAllocation {
  const spec = service.spec?.endpoint;
  const wanted = spec?.ports ?? [];
  if (!spec && !service.endpoint) return { ok: true, endpoint: undefined };
  const previous = service.endpoint?.ports ?? [];
  ports.releaseOwner(service.id);
  try {
    const out: PortConfig[] = wanted.map((p) => ({ ...p }));
    // Explicit numbers first, so a dynamic pick never takes a number the same spec asks for.
    out.forEach((p) => {
      if (isIngress(p) && p.publishedPort > 0) ports.claim(protocolOf(p), p.publishedPort, service.id);
    });
    out.forEach((p) => {
      if (!isIngress(p) || p.publishedPort > 0) return;
      const before = previous.find(
        (q) => isIngress(q) && q.name === p.name && q.protocol === p.protocol && q.targetPort === p.targetPort && q.publishedPort > 0,
      );
      if (before && ports.ownerOf(protocolOf(p), before.publishedPort) === undefined) {
        ports.claim(protocolOf(p), before.publishedPort, service.id);
        p.publishedPort = before.publishedPort;
      } else {
        p.publishedPort = ports.claimDynamic(protocolOf(p), service.id);
      }
    });
    return { ok: true, endpoint: { spec, ports: out, virtualIps: service.endpoint?.virtualIps ?? [] } };
  } catch (err) {
    ports.releaseOwner(service.id);
    claimStored(service, ports);
    return { ok: false, error: `allocating published ports of service ${service.id}: ${(err as Error).message}` };
  }
}

/** Re-claims what the store says the service holds (rebuilding the table on a new leader). */
export function claimStored(service: Service, ports: PublishedPorts): void {
  for (const p of service.endpoint?.ports ?? []) {
    if (isIngress(p) && p.publishedPort > 0) ports.claim(protocolOf(p), p.publishedPort, service.id);
  }
}

/** Whether the stored endpoint is what allocateEndpoint would write now. */
export function sameEndpoint(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(Endpoint.encode(a).finish()).equals(Endpoint.encode(b).finish());
}
