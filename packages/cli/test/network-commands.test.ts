import { EndpointMode, Network, PortProtocol, PublishMode, Service, validateServiceSpec, type NetworkView } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { formatNetworkList, formatNetworkPretty, networkSpecFromFlags, type NetworkCreateOptions } from '../src/commands/network.js';
import { formatEndpointPretty } from '../src/commands/service-endpoint-format.js';
import { serviceSpecFromFlags, type ServiceCreateOptions } from '../src/commands/service-flags.js';
import { networkPartsFromFlags, parseNetworkFlag } from '../src/commands/service-network-flags.js';
import { updatedNetworks, updatedPorts } from '../src/commands/service-network-update.js';
import { applyUpdateFlags } from '../src/commands/service-update-flags.js';
import { addrPoolFromFlags } from '../src/commands/swarm-addr-pool.js';
import { CliError } from '../src/errors.js';
import { runBuiltCli } from './helpers/run-cli.js';

const createOpts = (o: Partial<NetworkCreateOptions> = {}): NetworkCreateOptions => ({ subnet: [], gateway: [], label: [], ...o });

function exitCodeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err.exitCode;
    throw err;
  }
  return undefined;
}

describe('network create flags', () => {
  it('builds an overlay spec with no subnet by default (the swarm pool gives one)', () => {
    const spec = networkSpecFromFlags('mynet', createOpts({ label: ['team=web'] }));
    expect(spec.driver).toBe('overlay');
    expect(spec.ipam).toEqual([]);
    expect(spec.annotations).toEqual({ name: 'mynet', labels: { team: 'web' } });
    expect([spec.attachable, spec.internal, spec.ingress]).toEqual([false, false, false]);
  });

  it('pairs --gateway with --subnet and keeps --attachable/--internal', () => {
    const spec = networkSpecFromFlags('n', createOpts({ subnet: ['198.19.5.0/24'], gateway: ['198.19.5.254'], attachable: true, internal: true }));
    expect(spec.ipam).toEqual([{ subnet: '198.19.5.0/24', gateway: '198.19.5.254', range: '' }]);
    expect([spec.attachable, spec.internal]).toEqual([true, true]);
  });

  it('refuses a gateway outside the subnet, a subnet with host bits, another driver, a gateway without subnet', () => {
    expect(() => networkSpecFromFlags('n', createOpts({ subnet: ['198.19.5.0/24'], gateway: ['198.19.6.1'] }))).toThrow('ipam[0].gateway 198.19.6.1 is not inside subnet 198.19.5.0/24');
    expect(() => networkSpecFromFlags('n', createOpts({ subnet: ['198.19.5.1/24'] }))).toThrow('has host bits set: it should be 198.19.5.0/24');
    expect(exitCodeOf(() => networkSpecFromFlags('n', createOpts({ driver: 'bridge' })))).toBe(2);
    expect(exitCodeOf(() => networkSpecFromFlags('n', createOpts({ gateway: ['198.19.5.1'] })))).toBe(2);
  });
});

const view = (id: string, name: string, o: { subnet?: string; services?: NetworkView['services']; tasks?: NetworkView['tasks'] } = {}): NetworkView => ({
  network: Network.fromPartial({
    id,
    spec: { annotations: { name }, driver: 'overlay' },
    status: o.subnet ? { ipam: [{ subnet: o.subnet, gateway: o.subnet.replace(/0\/24$/, '1'), range: '' }], vxlanId: 4097 } : undefined,
  }),
  services: o.services ?? [],
  tasks: o.tasks ?? [],
});

describe('network ls / inspect output', () => {
  it('lists NETWORK ID NAME DRIVER SCOPE sorted by name, -q the short ids only', () => {
    const views = [view('bbbbbbbbbbbbbbbbbbbb', 'web'), view('aaaaaaaaaaaaaaaaaaaa', 'ingress')];
    const lines = formatNetworkList(views).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(lines[1]).toMatch(/^aaaaaaaaaaaa\s+ingress\s+overlay\s+swarm$/);
    expect(lines[2]).toMatch(/^bbbbbbbbbbbb\s+web\s+overlay\s+swarm$/);
    expect(formatNetworkList(views, { quiet: true })).toBe('aaaaaaaaaaaa\nbbbbbbbbbbbb\n');
  });

  it('--pretty shows subnet, gateway, VXLAN id and the services with their VIPs', () => {
    const out = formatNetworkPretty(
      view('n1', 'backend', {
        subnet: '198.19.7.0/24',
        services: [
          { id: 's1', name: 'api', virtualIp: '198.19.7.2/24' },
          { id: 's2', name: 'dns', virtualIp: '' },
        ],
        tasks: [{ taskId: 'task0123456789abcdef', name: 'api.1', nodeId: 'node0123456789abcdef', address: '198.19.7.3/24' }],
      }),
    );
    expect(out).toContain('Name: backend\n');
    expect(out).toContain(' Subnet: 198.19.7.0/24\n');
    expect(out).toContain(' Gateway: 198.19.7.1\n');
    expect(out).toContain('VXLAN ID: 4097\n');
    expect(out).toContain(' api: VIP 198.19.7.2/24\n');
    expect(out).toContain(' dns: no VIP (dnsrr, or not allocated yet)\n');
    expect(out).toContain(' api.1: 198.19.7.3/24 (task task01234567 on node01234567)\n');
    expect(formatNetworkPretty(view('n2', 'new'))).toContain(' Subnet: (not allocated yet)\n');
  });
});

describe('service create --network/--publish/--endpoint-mode', () => {
  it('parses a plain network name and the long form with aliases', () => {
    expect(parseNetworkFlag('mynet')).toEqual({ target: 'mynet', aliases: [] });
    expect(parseNetworkFlag('name=mynet,alias=web1,alias=web')).toEqual({ target: 'mynet', aliases: ['web1', 'web'] });
    expect(exitCodeOf(() => parseNetworkFlag('alias=x'))).toBe(2);
    expect(exitCodeOf(() => parseNetworkFlag('name=a,colour=red'))).toBe(2);
  });

  it('turns short and long --publish forms into ports, with the endpoint mode', () => {
    const parts = networkPartsFromFlags({ network: ['a', 'b'], publish: ['8080:80', '53:53/udp', 'published=9090,target=90,mode=host', '443'], endpointMode: 'vip' });
    expect(parts.networks.map((n) => n.target)).toEqual(['a', 'b']);
    expect(parts.endpoint.mode).toBe(EndpointMode.ENDPOINT_MODE_VIP);
    expect(parts.endpoint.ports.map((p) => [p.publishedPort, p.targetPort, p.protocol, p.publishMode])).toEqual([
      [8080, 80, PortProtocol.PORT_PROTOCOL_TCP, PublishMode.PUBLISH_MODE_INGRESS],
      [53, 53, PortProtocol.PORT_PROTOCOL_UDP, PublishMode.PUBLISH_MODE_INGRESS],
      [9090, 90, PortProtocol.PORT_PROTOCOL_TCP, PublishMode.PUBLISH_MODE_HOST],
      [0, 443, PortProtocol.PORT_PROTOCOL_TCP, PublishMode.PUBLISH_MODE_INGRESS],
    ]);
    expect(exitCodeOf(() => networkPartsFromFlags({ publish: ['80:80/sctp'] }))).toBe(2);
    expect(exitCodeOf(() => networkPartsFromFlags({ endpointMode: 'round-robin' }))).toBe(2);
  });

  it('puts them into the service spec, which the api validates (dnsrr cannot publish through the mesh)', () => {
    const base: ServiceCreateOptions = { constraint: [], env: [], label: [], containerLabel: [], mount: [] };
    const spec = validateServiceSpec(serviceSpecFromFlags({ ...base, name: 'web', network: ['mynet'], publish: ['8080:80'] }, 'flotilla/busybox:latest', []));
    expect(spec.task?.networks).toEqual([{ target: 'mynet', aliases: [] }]);
    expect(spec.endpoint?.ports[0]).toMatchObject({ publishedPort: 8080, targetPort: 80 });
    expect(() => validateServiceSpec(serviceSpecFromFlags({ ...base, name: 'd', endpointMode: 'dnsrr', publish: ['8080:80'] }, 'img', []))).toThrow(
      'cannot be used with dnsrr endpoint mode',
    );
  });

  it('service inspect --pretty shows the allocated ports and the VIPs', () => {
    const s = Service.fromPartial({
      id: 's1',
      spec: { task: { networks: [{ target: 'mynet', aliases: [] }] }, endpoint: { mode: EndpointMode.ENDPOINT_MODE_VIP, ports: [{ targetPort: 80 }] } },
      endpoint: { ports: [{ targetPort: 80, publishedPort: 30000 }], virtualIps: [{ networkId: 'n1', addr: '198.19.7.2/24' }] },
    });
    const out = formatEndpointPretty(s);
    expect(out).toContain('Networks: mynet\n');
    expect(out).toContain('Endpoint Mode: vip\n');
    expect(out).toContain(' PublishedPort = 30000\n  Protocol = tcp\n  TargetPort = 80\n  PublishMode = ingress\n');
    expect(out).toContain('VirtualIPs:\n n1: 198.19.7.2/24\n');
  });
});

describe('swarm init --default-addr-pool', () => {
  it('passes pools and mask length, checked like the cluster spec', () => {
    expect(addrPoolFromFlags(['198.19.0.0/16'], '24')).toEqual({ defaultAddrPool: ['198.19.0.0/16'], defaultAddrPoolMaskLength: 24 });
    expect(addrPoolFromFlags([], undefined)).toEqual({ defaultAddrPool: [], defaultAddrPoolMaskLength: 0 });
    expect(exitCodeOf(() => addrPoolFromFlags(['198.19.0.1/16'], undefined))).toBe(2);
    expect(exitCodeOf(() => addrPoolFromFlags(['198.19.0.0/16'], '8'))).toBe(2);
    expect(exitCodeOf(() => addrPoolFromFlags(['198.19.0.0/16'], 'x'))).toBe(2);
  });
});

describe('the built CLI', () => {
  it('refuses a non-overlay driver as a usage error before dialling any daemon', async () => {
    const res = await runBuiltCli(['-H', 'unix:///nonexistent/flotilla.sock', 'network', 'create', '-d', 'bridge', 'x']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('only the "overlay" driver is supported');
  });
});

describe('service update --network-add/--network-rm/--publish-add/--publish-rm', () => {
  it('removes, then adds networks; refuses a network not attached or attached twice', () => {
    const current = [{ target: 'a', aliases: [] }, { target: 'b', aliases: ['x'] }];
    expect(updatedNetworks(current, ['c', 'name=d,alias=y'], ['a'])).toEqual([
      { target: 'b', aliases: ['x'] },
      { target: 'c', aliases: [] },
      { target: 'd', aliases: ['y'] },
    ]);
    expect(exitCodeOf(() => updatedNetworks(current, [], ['zz']))).toBe(2);
    expect(exitCodeOf(() => updatedNetworks(current, ['b'], []))).toBe(2);
    expect(current).toHaveLength(2);
  });

  it('removes ports by target[/proto] and adds ports, replacing one on the same published port', () => {
    const current = networkPartsFromFlags({ publish: ['8080:80', '53:53/udp', '53:53'] }).endpoint.ports;
    const next = updatedPorts(current, ['8080:81', '9000:90'], ['53/udp']);
    expect(next.map((p) => `${p.publishedPort}:${p.targetPort}/${p.protocol === PortProtocol.PORT_PROTOCOL_UDP ? 'udp' : 'tcp'}`)).toEqual(['53:53/tcp', '8080:81/tcp', '9000:90/tcp']);
    expect(exitCodeOf(() => updatedPorts(current, [], ['99']))).toBe(2);
    expect(exitCodeOf(() => updatedPorts(current, [], ['80/sctp']))).toBe(2);
  });

  it('applies them to the current spec (applyUpdateFlags)', () => {
    const base: ServiceCreateOptions = { constraint: [], env: [], label: [], containerLabel: [], mount: [] };
    const spec = validateServiceSpec(serviceSpecFromFlags({ ...base, name: 'web', network: ['a'], publish: ['8080:80'] }, 'img', []));
    const next = applyUpdateFlags(spec, { envAdd: [], envRm: [], constraintAdd: [], constraintRm: [], labelAdd: [], labelRm: [], networkAdd: ['b'], networkRm: ['a'], publishRm: ['80'], publishAdd: ['443'] });
    expect(next.task?.networks.map((n) => n.target)).toEqual(['b']);
    expect(next.endpoint?.ports.map((p) => [p.publishedPort, p.targetPort])).toEqual([[0, 443]]);
    expect(spec.task?.networks.map((n) => n.target)).toEqual(['a']);
  });
});
