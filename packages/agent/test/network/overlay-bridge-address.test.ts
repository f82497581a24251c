// The gateway address of an overlay bridge, against a real engine in a test host. The node's
// load balancer (ipvs-lb) puts service VIPs on the bridge as /32s as soon as the bridge exists,
// which can be before the Docker network is created. An engine that manages the bridge's
// addresses then picks a VIP as "the bridge address", removes it and adds the gateway: it
// fails with "bridge IPv4 (VIP) does not match requested configuration", and every later
// create of the same network with "failed to add IPv4 address GW/24 to bridge: file exists"
// (what rejected tasks in the stacks e2e). The agent owns the gateway address; the engine
// leaves the bridge's addresses alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { createTestHosts, type TestHost, type TestHosts } from '@flotilla/testkit';
import { dockerFromHost } from '../../src/executor/docker-executor.js';
import {
  dockerNetworkName,
  OverlayAddressConflictError,
  OverlayNetworks,
  overlayDeviceNames,
  parseLinks,
  type CommandRunner,
  type OverlayDesired,
  type OverlayNetworkRef,
} from '../../src/network/index.js';

let th: TestHosts;
let host: TestHost;
let docker: Docker;

const hostRunner = (h: TestHost): CommandRunner => async (argv, input) => ({ stdout: (await h.exec(argv, input === undefined ? {} : { input })).stdout });

function network(n: number): OverlayNetworkRef {
  return { id: `net-gw-${n}`, vni: 4300 + n, subnet: `198.19.${60 + n}.0/24`, gateway: `198.19.${60 + n}.1` };
}

function alone(net: OverlayNetworkRef): OverlayDesired {
  return { network: net, peers: [host.addr], endpoints: [] };
}

/** The bridge's IPv4 addresses as `addr/prefix`, in the kernel's order. */
async function bridgeAddrs(vni: number): Promise<string[]> {
  const out = JSON.parse((await host.exec(['ip', '-j', '-4', 'addr', 'show', 'dev', `fltbr-${vni}`])).stdout) as { addr_info?: { local: string; prefixlen: number }[] }[];
  return out.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
}

/** A bridge as something else left it: made by hand with these addresses, in this order. */
async function leftBridge(vni: number, addrs: string[]): Promise<void> {
  await host.exec(['ip', 'link', 'add', 'name', `fltbr-${vni}`, 'type', 'bridge']);
  for (const a of addrs) await host.exec(['ip', 'addr', 'add', a, 'dev', `fltbr-${vni}`]);
}

async function dockerNetworkExists(net: OverlayNetworkRef): Promise<boolean> {
  return (await docker.listNetworks({ filters: { name: [dockerNetworkName(net.id)] } })).some((n) => n.Name === dockerNetworkName(net.id));
}

beforeAll(async () => {
  th = await createTestHosts({ count: 1, withDocker: true });
  host = th.hosts[0]!;
  docker = dockerFromHost(host.dockerHost!);
});

afterAll(async () => {
  await th?.destroy();
});

describe('overlay bridge gateway address (real engine in a test host)', () => {
  it('eight task starts at once join a fresh network while VIPs land on its bridge the moment it exists', async () => {
    const net = network(1);
    const vips = ['198.19.61.2/32', '198.19.61.3/32'];
    // The runner puts the VIPs on the bridge right after `ip link add` made it: the load
    // balancer winning the race against the rest of the set-up, every time.
    const racing: CommandRunner = async (argv, input) => {
      const out = await hostRunner(host)(argv, input);
      if (argv.join(' ') === `ip link add name fltbr-${net.vni} type bridge`) {
        for (const vip of vips) await host.exec(['ip', 'addr', 'add', vip, 'dev', `fltbr-${net.vni}`]);
      }
      return out;
    };
    const overlays = new OverlayNetworks({ run: racing, docker, localAddr: host.addr });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => overlays.ensure(alone(net))));
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const made = results.map((r) => (r as PromiseFulfilledResult<{ dockerNetworkCreated: boolean; commands: unknown[] }>).value);
    expect(made.filter((m) => m.dockerNetworkCreated)).toHaveLength(1);
    expect(made.slice(1).every((m) => m.commands.length === 0)).toBe(true);
    // Nobody's address was taken away; the gateway is there with the subnet's prefix.
    expect((await bridgeAddrs(net.vni)).sort()).toEqual(['198.19.61.1/24', ...vips].sort());
    expect(await dockerNetworkExists(net)).toBe(true);
    await overlays.remove(net);
  });

  it('a bridge left with a VIP before its gateway (an earlier failed create) is taken as it is', async () => {
    const net = network(2);
    const overlays = new OverlayNetworks({ run: hostRunner(host), docker, localAddr: host.addr });
    await leftBridge(net.vni, ['198.19.62.2/32', '198.19.62.1/24']);
    const first = await overlays.ensure(alone(net));
    expect(first.dockerNetworkCreated).toBe(true);
    expect(first.commands.map((c) => c.argv.join(' '))).not.toContain(`ip addr replace 198.19.62.1/24 dev fltbr-${net.vni}`);
    expect(await bridgeAddrs(net.vni)).toEqual(['198.19.62.2/32', '198.19.62.1/24']);
    expect((await overlays.ensure(alone(net))).commands).toEqual([]);
    await overlays.remove(net);
  });

  it('a gateway already there with another prefix is a clear error, and nothing is changed', async () => {
    const net = network(3);
    const overlays = new OverlayNetworks({ run: hostRunner(host), docker, localAddr: host.addr });
    await leftBridge(net.vni, ['198.19.63.1/32']);
    const err = await overlays.ensure(alone(net)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverlayAddressConflictError);
    expect(String(err)).toMatch(/fltbr-4303 has 198\.19\.63\.1\/32, but overlay network "net-gw-3" needs its gateway as 198\.19\.63\.1\/24/);
    expect(await bridgeAddrs(net.vni)).toEqual(['198.19.63.1/32']);
    expect(overlayDeviceNames(parseLinks((await host.exec(['ip', '-d', '-j', 'link', 'show'])).stdout))).toEqual([`fltbr-${net.vni}`]);
    expect(await dockerNetworkExists(net)).toBe(false);
    await host.exec(['ip', 'link', 'del', 'dev', `fltbr-${net.vni}`]);
  });
});
