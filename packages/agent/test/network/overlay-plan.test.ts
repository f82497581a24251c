import { describe, expect, it } from 'vitest';
import {
  macForIp,
  OverlayAddressConflictError,
  OverlayInputError,
  parseIpv4Addrs,
  planOverlay,
  planOverlayRemoval,
  validateOverlay,
  type ObservedOverlay,
  type OverlayDesired,
} from '../../src/network/index.js';

const LOCAL = '198.18.5.11';
const desired: OverlayDesired = {
  network: { id: 'net-a', vni: 4101, subnet: '198.19.10.0/24', gateway: '198.19.10.1' },
  peers: ['198.18.5.12', '198.18.5.13', LOCAL],
  endpoints: [
    { ip: '198.19.10.2', mac: macForIp('198.19.10.2'), node: LOCAL },
    { ip: '198.19.10.3', mac: macForIp('198.19.10.3'), node: '198.18.5.12' },
  ],
};
const empty: ObservedOverlay = { bridge: undefined, bridgeAddrs: [], vxlan: undefined, fdb: [], neigh: [] };

/** What the kernel would show after the plan for `desired` ran on an empty node. */
function converged(): ObservedOverlay {
  return {
    bridge: { kind: 'bridge', addrGenMode: 'none', mac: '02:42:c6:13:0a:01', mtu: 1450, up: true },
    bridgeAddrs: [{ addr: '198.19.10.1', prefix: 24 }],
    vxlan: { kind: 'vxlan', vni: 4101, local: LOCAL, port: 4789, learning: false, master: 'fltbr-4101', mtu: 1450, up: true },
    fdb: [
      { mac: '00:00:00:00:00:00', dst: '198.18.5.12' },
      { mac: '00:00:00:00:00:00', dst: '198.18.5.13' },
      { mac: '02:42:c6:13:0a:03', dst: '198.18.5.12' },
    ],
    neigh: [{ ip: '198.19.10.3', mac: '02:42:c6:13:0a:03' }],
  };
}

const lines = (o: ObservedOverlay, d = desired) => planOverlay(d, LOCAL, o).map((c) => c.argv.join(' '));

describe('planOverlay', () => {
  it('builds bridge, VXLAN device, flood entries per peer (not itself), and entries for remote endpoints only', () => {
    expect(lines(empty)).toEqual([
      'ip link add name fltbr-4101 type bridge',
      'ip link set dev fltbr-4101 addrgenmode none',
      'ip link set dev fltbr-4101 address 02:42:c6:13:0a:01 mtu 1450 up',
      'ip addr replace 198.19.10.1/24 dev fltbr-4101',
      'ip link add fltvx-4101 type vxlan id 4101 local 198.18.5.11 dstport 4789 nolearning',
      'ip link set dev fltvx-4101 master fltbr-4101 mtu 1450 up',
      'bridge fdb append 00:00:00:00:00:00 dev fltvx-4101 dst 198.18.5.12',
      'bridge fdb append 00:00:00:00:00:00 dev fltvx-4101 dst 198.18.5.13',
      'bridge fdb append 02:42:c6:13:0a:03 dev fltvx-4101 dst 198.18.5.12',
      'ip neigh replace 198.19.10.3 lladdr 02:42:c6:13:0a:03 dev fltbr-4101 nud permanent',
    ]);
  });

  it('plans nothing when the node already matches', () => {
    expect(lines(converged())).toEqual([]);
  });

  it('changes only the entries of a peer that left and an endpoint that moved', () => {
    const next: OverlayDesired = {
      ...desired,
      peers: ['198.18.5.12', '198.18.5.14'],
      endpoints: [{ ip: '198.19.10.3', mac: macForIp('198.19.10.3'), node: '198.18.5.14' }],
    };
    expect(lines(converged(), next)).toEqual([
      'bridge fdb del 00:00:00:00:00:00 dev fltvx-4101 dst 198.18.5.13',
      'bridge fdb del 02:42:c6:13:0a:03 dev fltvx-4101 dst 198.18.5.12',
      'bridge fdb append 00:00:00:00:00:00 dev fltvx-4101 dst 198.18.5.14',
      'bridge fdb append 02:42:c6:13:0a:03 dev fltvx-4101 dst 198.18.5.14',
    ]);
  });

  it('recreates a VXLAN device with other parameters and re-adds its entries, and re-attaches after the bridge went', () => {
    const o = converged();
    o.vxlan = { ...o.vxlan!, local: '198.18.5.99', learning: true };
    const out = lines(o);
    expect(out.slice(0, 3)).toEqual([
      'ip link del dev fltvx-4101',
      'ip link add fltvx-4101 type vxlan id 4101 local 198.18.5.11 dstport 4789 nolearning',
      'ip link set dev fltvx-4101 master fltbr-4101 mtu 1450 up',
    ]);
    expect(out.filter((l) => l.startsWith('bridge fdb append'))).toHaveLength(3);

    const noBridge = { ...converged(), bridge: undefined, neigh: [] };
    expect(lines(noBridge)).toEqual([
      'ip link add name fltbr-4101 type bridge',
      'ip link set dev fltbr-4101 addrgenmode none',
      'ip link set dev fltbr-4101 address 02:42:c6:13:0a:01 mtu 1450 up',
      'ip addr replace 198.19.10.1/24 dev fltbr-4101',
      'ip link set dev fltvx-4101 master fltbr-4101 mtu 1450 up',
      'ip neigh replace 198.19.10.3 lladdr 02:42:c6:13:0a:03 dev fltbr-4101 nud permanent',
    ]);
  });

  it('fixes a bridge Docker made (random MAC, IPv6 link-local) and drops stale neighbours', () => {
    const o = converged();
    o.bridge = { ...o.bridge!, mac: '6a:11:22:33:44:55', addrGenMode: 'eui64' };
    o.neigh.push({ ip: '198.19.10.9', mac: '02:42:c6:13:0a:09' });
    expect(lines(o)).toEqual([
      'ip link set dev fltbr-4101 addrgenmode none',
      'ip -6 addr flush dev fltbr-4101 scope link',
      'ip link set dev fltbr-4101 address 02:42:c6:13:0a:01 mtu 1450 up',
      'ip neigh del 198.19.10.9 dev fltbr-4101',
    ]);
  });

  it('puts the gateway on the bridge unless it is there with the subnet\'s prefix, wherever VIPs are', () => {
    const o = converged();
    o.bridgeAddrs = [{ addr: '198.19.10.7', prefix: 32 }];
    expect(lines(o)).toEqual(['ip addr replace 198.19.10.1/24 dev fltbr-4101']);
    o.bridgeAddrs = [{ addr: '198.19.10.7', prefix: 32 }, { addr: '198.19.10.1', prefix: 24 }, { addr: '198.19.10.8', prefix: 32 }];
    expect(lines(o)).toEqual([]);
  });

  it('refuses a bridge that has the gateway with another prefix, before any command', () => {
    const o = converged();
    o.bridge = { ...o.bridge!, mtu: 1500 };
    o.bridgeAddrs = [{ addr: '198.19.10.1', prefix: 32 }];
    expect(() => planOverlay(desired, LOCAL, o)).toThrow(OverlayAddressConflictError);
    expect(() => planOverlay(desired, LOCAL, o)).toThrow(
      'bridge fltbr-4101 has 198.19.10.1/32, but overlay network "net-a" needs its gateway as 198.19.10.1/24 (subnet 198.19.10.0/24); nothing was changed: remove that address (ip addr del 198.19.10.1/32 dev fltbr-4101) or the bridge',
    );
  });

  it('removal deletes only the devices that exist', () => {
    expect(planOverlayRemoval(4101, converged()).map((c) => c.argv.join(' '))).toEqual(['ip link del dev fltvx-4101', 'ip link del dev fltbr-4101']);
    expect(planOverlayRemoval(4101, empty)).toEqual([]);
  });
});

describe('validateOverlay', () => {
  const bad: [string, OverlayDesired, RegExp][] = [
    ['vni 0', { ...desired, network: { ...desired.network, vni: 0 } }, /vni 0/],
    ['vni too big', { ...desired, network: { ...desired.network, vni: 2 ** 24 } }, /vni/],
    ['subnet not a network address', { ...desired, network: { ...desired.network, subnet: '198.19.10.5/24' } }, /subnet/],
    ['gateway outside', { ...desired, network: { ...desired.network, gateway: '198.19.11.1' } }, /gateway/],
    ['endpoint outside', { ...desired, endpoints: [{ ip: '198.19.11.2', mac: '02:42:c6:13:0b:02', node: LOCAL }] }, /endpoint ip/],
    ['endpoint on gateway', { ...desired, endpoints: [{ ip: '198.19.10.1', mac: '02:42:c6:13:0a:01', node: LOCAL }] }, /used twice/],
    ['bad mac', { ...desired, endpoints: [{ ip: '198.19.10.2', mac: '02:42:C6:13:0a:02', node: LOCAL }] }, /MAC/],
    ['bad peer', { ...desired, peers: ['node-2'] }, /peer VTEP/],
    ['bad id', { ...desired, network: { ...desired.network, id: 'a b' } }, /id/],
  ];
  for (const [name, input, message] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => validateOverlay(input, LOCAL)).toThrow(OverlayInputError);
      expect(() => validateOverlay(input, LOCAL)).toThrow(message);
    });
  }
  it('accepts a good one', () => {
    expect(() => validateOverlay(desired, LOCAL)).not.toThrow();
  });
});

describe('parseIpv4Addrs', () => {
  it('keeps the IPv4 addresses of `ip -j addr show` in order, with their prefix', () => {
    const json = JSON.stringify([
      { ifname: 'fltbr-4101', addr_info: [
        { family: 'inet', local: '198.19.10.7', prefixlen: 32 },
        { family: 'inet', local: '198.19.10.1', prefixlen: 24 },
        { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
      ] },
    ]);
    expect(parseIpv4Addrs(json)).toEqual([{ addr: '198.19.10.7', prefix: 32 }, { addr: '198.19.10.1', prefix: 24 }]);
    expect(parseIpv4Addrs('')).toEqual([]);
  });
});

describe('macForIp', () => {
  it('is what Docker gives an endpoint: 02:42 and the address bytes', () => {
    expect(macForIp('198.19.10.3')).toBe('02:42:c6:13:0a:03');
    expect(() => macForIp('198.19.10')).toThrow(/not an IPv4/);
  });
});
