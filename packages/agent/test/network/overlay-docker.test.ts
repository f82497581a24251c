// Two test hosts, each with its own engine: one overlay network across both,
// a container on each attached by the Engine API with the allocator's address,
// traffic across VXLAN, no way in from a second network, restart re-adoption,
// and removal that leaves no device. A third host, not a member, cannot put a
// frame into the overlay over VXLAN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { createTestHosts, waitFor, type TestHost, type TestHosts } from '@flotilla/testkit';
import { dockerFromHost } from '../../src/executor/docker-executor.js';
import {
  dockerNetworkName,
  endpointsConfigFor,
  macForIp,
  OverlayNetworks,
  overlayDeviceNames,
  parseLinks,
  type OverlayDesired,
  type OverlayNetworkRef,
} from '../../src/network/index.js';

const IMAGE = 'flotilla/busybox:latest';
const netA: OverlayNetworkRef = { id: 'net-a', vni: 4101, subnet: '198.19.10.0/24', gateway: '198.19.10.1' };
const netB: OverlayNetworkRef = { id: 'net-b', vni: 4102, subnet: '198.19.20.0/24', gateway: '198.19.20.1' };
const C1_IP = '198.19.10.2';
const C2_IP = '198.19.10.3';
const C3_IP = '198.19.20.2';

let th: TestHosts;
let h1: TestHost;
let h2: TestHost;
let h3: TestHost;
let docker1: Docker;
let docker2: Docker;
let ovl1: OverlayNetworks;
let ovl2: OverlayNetworks;

function overlayOn(h: TestHost, docker: Docker): OverlayNetworks {
  return new OverlayNetworks({ run: async (argv, input) => ({ stdout: (await h.exec(argv, input === undefined ? {} : { input })).stdout }), docker, localAddr: h.addr });
}

function desiredA(): OverlayDesired {
  return {
    network: netA,
    peers: [h1.addr, h2.addr],
    endpoints: [
      { ip: C1_IP, mac: macForIp(C1_IP), node: h1.addr },
      { ip: C2_IP, mac: macForIp(C2_IP), node: h2.addr },
    ],
  };
}

async function runOn(docker: Docker, name: string, network: OverlayNetworkRef, ip: string, cmd: string[]): Promise<string> {
  const c = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: cmd,
    HostConfig: { NetworkMode: dockerNetworkName(network.id) },
    NetworkingConfig: endpointsConfigFor(network, ip),
  });
  await c.start();
  return c.id;
}

function sh(h: TestHost, container: string, cmd: string[]) {
  return h.exec(['docker', 'exec', container, ...cmd], { allowFailure: true, timeoutMs: 15_000 });
}

/** One TCP exchange with the listener on port 8080 of `ip`, from inside `container`. */
function tcp(h: TestHost, container: string, ip: string) {
  return sh(h, container, ['sh', '-c', `nc -w 3 ${ip} 8080 </dev/null`]);
}

async function overlayDevices(h: TestHost): Promise<string[]> {
  return overlayDeviceNames(parseLinks((await h.exec(['ip', '-d', '-j', 'link', 'show'])).stdout));
}

beforeAll(async () => {
  th = await createTestHosts({ count: 3, withDocker: true });
  [h1, h2, h3] = th.hosts as [TestHost, TestHost, TestHost];
  docker1 = dockerFromHost(h1.dockerHost!);
  docker2 = dockerFromHost(h2.dockerHost!);
  ovl1 = overlayOn(h1, docker1);
  ovl2 = overlayOn(h2, docker2);
}, 120_000);

afterAll(async () => {
  await th?.destroy();
}, 120_000);

/** Echo requests the container has received (its namespace's Icmp InEchos). */
async function echoesReceived(h: TestHost, container: string): Promise<number> {
  const snmp = (await sh(h, container, ['cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Icmp:'));
  const [names, values] = snmp.map((l) => l.split(/\s+/));
  return Number(values![names!.indexOf('InEchos')]);
}

/** Packets the VXLAN filter's final DROP has counted on `h`. */
async function vxlanDrops(h: TestHost): Promise<number> {
  const out = (await h.exec(['iptables', '-L', 'FLT-VXLAN-IN', '-v', '-x', '-n'])).stdout;
  const drop = out.split('\n').find((l) => /\sDROP\s/.test(l));
  return Number(drop!.trim().split(/\s+/)[0]);
}

describe('the VXLAN filter: only member VTEPs put frames into an overlay', () => {
  it('a namespace that is not a member cannot deliver a VXLAN frame into a container\'s network; members still can', async () => {
    const netC: OverlayNetworkRef = { id: 'net-c', vni: 4103, subnet: '198.19.30.0/24', gateway: '198.19.30.1' };
    const [C4, C5] = ['198.19.30.2', '198.19.30.3'];
    const desiredC: OverlayDesired = {
      network: netC,
      peers: [h1.addr, h2.addr],
      endpoints: [
        { ip: C4, mac: macForIp(C4), node: h1.addr },
        { ip: C5, mac: macForIp(C5), node: h2.addr },
      ],
    };
    await ovl1.ensure(desiredC);
    await ovl2.ensure(desiredC);
    expect((await h1.exec(['iptables', '-S', 'INPUT'])).stdout).toContain('-A INPUT -p udp -m udp --dport 4789 -j FLT-VXLAN-IN');
    const c4 = await runOn(docker1, 'ovl-c4', netC, C4, ['sleep', '3600']);
    const c5 = await runOn(docker2, 'ovl-c5', netC, C5, ['sleep', '3600']);
    // A member's container reaches c4 over VXLAN.
    await waitFor(async () => (await sh(h2, c5, ['ping', '-c', '1', '-W', '2', C4])).code === 0, { what: 'c5 on h2 (a member) pinging c4 on h1', timeoutMs: 20_000, intervalMs: 200 });

    // h3 knows the VNI and plumbs a VXLAN device of its own towards h1, with an address on the
    // subnet and c4's MAC: exactly what it takes to inject frames into the overlay.
    await h3.exec(['ip', 'link', 'add', 'fltrogue', 'type', 'vxlan', 'id', String(netC.vni), 'local', h3.addr, 'remote', h1.addr, 'dstport', '4789', 'nolearning']);
    await h3.exec(['ip', 'addr', 'add', '198.19.30.9/24', 'dev', 'fltrogue']);
    await h3.exec(['ip', 'link', 'set', 'dev', 'fltrogue', 'up']);
    await h3.exec(['ip', 'neigh', 'replace', C4, 'lladdr', macForIp(C4), 'dev', 'fltrogue', 'nud', 'permanent']);
    const echoesBefore = await echoesReceived(h1, c4);
    const dropsBefore = await vxlanDrops(h1);
    // Its echo requests reach h1 (the filter counts them) but never c4 (no reply, InEchos unchanged).
    const rogue = await h3.exec(['busybox', 'ping', '-c', '5', '-W', '1', C4], { allowFailure: true, timeoutMs: 20_000 });
    expect(rogue.code).not.toBe(0);
    expect(await vxlanDrops(h1)).toBeGreaterThanOrEqual(dropsBefore + 5);
    expect(await echoesReceived(h1, c4)).toBe(echoesBefore);
    // The member still gets through, and c4 counts its echo.
    expect((await sh(h2, c5, ['ping', '-c', '1', '-W', '2', C4])).code).toBe(0);
    expect(await echoesReceived(h1, c4)).toBe(echoesBefore + 1);

    await h3.exec(['ip', 'link', 'del', 'dev', 'fltrogue']);
    await docker1.getContainer(c4).remove({ force: true });
    await docker2.getContainer(c5).remove({ force: true });
    await ovl1.remove(netC);
    await ovl2.remove(netC);
    // The last overlay gone, the filter goes too.
    for (const h of [h1, h2]) expect((await h.exec(['iptables-save'])).stdout).not.toContain('FLT-VXLAN');
  }, 120_000);
});

describe('overlay network across two hosts with real engines', () => {
  it('carries ping and TCP across VXLAN, keeps a second network out, survives an engine restart, and removes cleanly', async () => {
    const first1 = await ovl1.ensure(desiredA());
    const first2 = await ovl2.ensure(desiredA());
    expect(first1.dockerNetworkCreated && first2.dockerNetworkCreated).toBe(true);
    expect(await ovl1.ensure(desiredA())).toEqual({ commands: [], dockerNetworkCreated: false });
    expect(await ovl2.ensure(desiredA())).toEqual({ commands: [], dockerNetworkCreated: false });
    await ovl1.ensure({ network: netB, peers: [h1.addr], endpoints: [{ ip: C3_IP, mac: macForIp(C3_IP), node: h1.addr }] });

    const c1 = await runOn(docker1, 'ovl-c1', netA, C1_IP, ['sleep', '3600']);
    const c2 = await runOn(docker2, 'ovl-c2', netA, C2_IP, ['nc', '-ll', '-p', '8080', '-e', 'echo', 'pong-from-h2']);
    const c3 = await runOn(docker1, 'ovl-c3', netB, C3_IP, ['sleep', '3600']);

    // The engine attached c2 with the allocator's address, the MAC the entries name, and the VXLAN MTU.
    const ep2 = (await docker2.getContainer(c2).inspect()).NetworkSettings.Networks[dockerNetworkName(netA.id)]!;
    expect(ep2.IPAddress).toBe(C2_IP);
    expect(ep2.MacAddress).toBe(macForIp(C2_IP));
    expect((await sh(h1, c1, ['cat', '/sys/class/net/eth0/mtu'])).stdout.trim()).toBe('1450');
    // Docker adopted our bridge: it carries the gateway and still the VXLAN device.
    expect((await h1.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', 'fltbr-4101'])).stdout).toContain('198.19.10.1/24');
    expect(await ovl1.ensure(desiredA())).toEqual({ commands: [], dockerNetworkCreated: false });

    await waitFor(async () => (await sh(h1, c1, ['ping', '-c', '1', '-W', '2', C2_IP])).code === 0, { what: 'c1 on h1 pinging c2 on h2 over VXLAN', timeoutMs: 20_000, intervalMs: 200 });
    await waitFor(async () => (await tcp(h1, c1, C2_IP)).stdout.trim() === 'pong-from-h2', { what: 'c1 on h1 talking TCP to c2 on h2', timeoutMs: 20_000, intervalMs: 200 });

    // c3 works on its own network (its gateway answers) but cannot reach network A.
    expect((await sh(h1, c3, ['ping', '-c', '1', '-W', '2', netB.gateway])).code).toBe(0);
    expect((await sh(h1, c3, ['ping', '-c', '1', '-W', '2', C2_IP])).code).not.toBe(0);
    expect((await sh(h1, c3, ['ping', '-c', '1', '-W', '2', C1_IP])).code).not.toBe(0);
    expect((await tcp(h1, c3, C2_IP)).code).not.toBe(0);

    // Attached to A as well (a running container, by connect), c3 reaches c2: the probes above failed on isolation alone.
    const C3_ON_A = '198.19.10.4';
    const withC3 = { ...desiredA(), endpoints: [...desiredA().endpoints, { ip: C3_ON_A, mac: macForIp(C3_ON_A), node: h1.addr }] };
    await ovl1.ensure(withC3);
    expect((await ovl2.ensure(withC3)).commands.map((c) => c.argv.join(' '))).toEqual([
      `bridge fdb append 02:42:c6:13:0a:04 dev fltvx-4101 dst ${h1.addr}`,
      `ip neigh replace ${C3_ON_A} lladdr 02:42:c6:13:0a:04 dev fltbr-4101 nud permanent`,
    ]);
    await ovl1.connect(c3, netA, C3_ON_A);
    await waitFor(async () => (await tcp(h1, c3, C2_IP)).stdout.trim() === 'pong-from-h2', { what: 'c3, now also on A, talking TCP to c2', timeoutMs: 20_000, intervalMs: 200 });

    // The engine refuses to drop a network in use: nothing is removed then.
    await expect(ovl2.remove(netA)).rejects.toThrow(/removing docker network flotilla-ovl-net-a/);
    expect(await overlayDevices(h2)).toEqual(['fltbr-4101', 'fltvx-4101']);

    // h2 crashes and reboots: its kernel devices are gone (deleted here, the namespace stays), the
    // engine makes the bridge again for its network on start, the agent re-ensures the rest, and
    // the engine re-attaches c2 with its address when it is started again.
    await th.kill(h2);
    await h2.exec(['ip', 'link', 'del', 'dev', 'fltvx-4101']);
    await h2.exec(['ip', 'link', 'del', 'dev', 'fltbr-4101']);
    await th.restartEngine(h2);
    const readopt = (await ovl2.ensure(desiredA())).commands.map((c) => c.argv.join(' '));
    expect(readopt).toContain(`ip link add fltvx-4101 type vxlan id 4101 local ${h2.addr} dstport 4789 nolearning`);
    expect(readopt).toContain(`bridge fdb append 00:00:00:00:00:00 dev fltvx-4101 dst ${h1.addr}`);
    // The engine made the bridge (with a MAC of its own, which is put right).
    expect(readopt).not.toContain('ip link add name fltbr-4101 type bridge');
    expect(readopt).toContain('ip link set dev fltbr-4101 address 02:42:c6:13:0a:01 mtu 1450 up');
    expect(readopt).toContain('ip -6 addr flush dev fltbr-4101 scope link');
    expect((await h2.exec(['ip', '-6', '-o', 'addr', 'show', 'dev', 'fltbr-4101'])).stdout.trim()).toBe('');
    expect(await ovl2.ensure(desiredA())).toEqual({ commands: [], dockerNetworkCreated: false });
    await docker2.getContainer(c2).start();
    expect((await docker2.getContainer(c2).inspect()).NetworkSettings.Networks[dockerNetworkName(netA.id)]!.IPAddress).toBe(C2_IP);
    await waitFor(async () => (await tcp(h1, c1, C2_IP)).stdout.trim() === 'pong-from-h2', {
      what: 'c1 reaching the restarted c2 over VXLAN',
      timeoutMs: 20_000,
      intervalMs: 200,
    });

    for (const [docker, id] of [[docker1, c1], [docker2, c2], [docker1, c3]] as const) await docker.getContainer(id).remove({ force: true });
    // An agent that no longer wants B prunes it (Docker network and devices); A and the
    // operator's own network stay.
    await h1.exec(['docker', 'network', 'create', '--subnet', '198.19.99.0/24', 'operator-net']);
    expect(await ovl1.prune([netA])).toEqual({ dockerNetworks: ['flotilla-ovl-net-b'], vnis: [4102] });
    expect(await overlayDevices(h1)).toEqual(['fltbr-4101', 'fltvx-4101']);
    expect((await h1.exec(['docker', 'network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n')).toEqual(
      expect.arrayContaining(['flotilla-ovl-net-a', 'operator-net']),
    );
    await h1.exec(['docker', 'network', 'rm', 'operator-net']);

    await ovl1.remove(netA);
    await ovl2.remove(netA);
    for (const h of [h1, h2]) {
      expect(await overlayDevices(h)).toEqual([]);
      expect((await h.exec(['iptables-save'])).stdout).not.toContain('FLT-VXLAN');
      expect((await h.exec(['ip', '-d', 'link'])).stdout).not.toMatch(/vxlan|fltbr|fltvx/);
      expect((await h.exec(['docker', 'network', 'ls', '--format', '{{.Name}}'])).stdout).not.toContain('flotilla-ovl');
    }
    expect(await ovl1.remove(netA)).toEqual([]);
  }, 120_000);
});
