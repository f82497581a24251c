import { PortProtocol, PublishMode, Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { containerCreateOptions } from '../src/index.js';

function task(ports: { target: number; published: number; udp?: boolean; host?: boolean }[]): Task {
  const pc = ports.map((p) => ({
    name: '',
    protocol: p.udp ? PortProtocol.PORT_PROTOCOL_UDP : PortProtocol.PORT_PROTOCOL_TCP,
    targetPort: p.target,
    publishedPort: p.published,
    publishMode: p.host ? PublishMode.PUBLISH_MODE_HOST : PublishMode.PUBLISH_MODE_INGRESS,
  }));
  return Task.fromPartial({
    id: 't1',
    serviceId: 's1',
    serviceName: 'web',
    slot: 1,
    nodeId: 'n1',
    spec: { container: { image: 'flotilla/busybox:latest' } },
    endpoint: { spec: { ports: pc }, ports: pc, virtualIps: [] },
  });
}

describe('published ports in host mode', () => {
  it('binds host-mode ports on the container and leaves ingress ports to the routing mesh', () => {
    const opts = containerCreateOptions(task([{ target: 80, published: 8080, host: true }, { target: 53, published: 0, udp: true, host: true }, { target: 443, published: 30443 }]));
    expect(opts.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(opts.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] });
  });

  it('binds nothing when every port goes through the mesh', () => {
    const opts = containerCreateOptions(task([{ target: 80, published: 18080 }]));
    expect(opts.ExposedPorts).toBeUndefined();
    expect(opts.HostConfig?.PortBindings).toBeUndefined();
  });
});
