import { EndpointMode, PortProtocol, PublishMode, type Service } from '@flotilla/api';

/** The networking part of `service inspect --pretty`: networks, endpoint mode, ports (as allocated) and virtual IPs. */
export function formatEndpointPretty(s: Service): string {
  const networks = s.spec?.task?.networks ?? [];
  const mode = s.spec?.endpoint?.mode === EndpointMode.ENDPOINT_MODE_DNSRR ? 'dnsrr' : 'vip';
  // Allocated ports carry the published port chosen from the dynamic range; until then, what was asked.
  const ports = s.endpoint?.ports.length ? s.endpoint.ports : (s.spec?.endpoint?.ports ?? []);
  const vips = s.endpoint?.virtualIps ?? [];
  const lines: string[] = [];
  if (networks.length) lines.push(`Networks: ${networks.map((n) => (n.aliases.length ? `${n.target} (aliases: ${n.aliases.join(', ')})` : n.target)).join(', ')}`);
  lines.push(`Endpoint Mode: ${mode}`);
  if (ports.length) {
    lines.push('Ports:');
    for (const p of ports) {
      lines.push(` PublishedPort = ${p.publishedPort || '(to be allocated)'}`);
      lines.push(`  Protocol = ${p.protocol === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp'}`);
      lines.push(`  TargetPort = ${p.targetPort}`);
      lines.push(`  PublishMode = ${p.publishMode === PublishMode.PUBLISH_MODE_HOST ? 'host' : 'ingress'}`);
    }
  }
  if (vips.length) {
    lines.push('VirtualIPs:');
    for (const v of vips) lines.push(` ${v.networkId}: ${v.addr}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}
