// The kernel edge on a real network namespace (a test host without an engine):
// devices and entries are created, re-running changes nothing, removal leaves nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHosts, type TestHost, type TestHosts } from '@flotilla/testkit';
import {
  macForIp,
  OverlayInputError,
  OverlayLinks,
  overlayDeviceNames,
  parseLinks,
  type CommandRunner,
  type OverlayDesired,
} from '../../src/network/index.js';

let th: TestHosts;
let host: TestHost;
let links: OverlayLinks;

/** Another address in the run's own test subnet, where nobody listens (entries only). */
function siblingAddr(addr: string, last: number): string {
  return addr.replace(/\.\d+$/, `.${last}`);
}

function hostRunner(h: TestHost): CommandRunner {
  return async (argv) => ({ stdout: (await h.exec(argv)).stdout });
}

async function overlayDevices(h: TestHost): Promise<string[]> {
  return overlayDeviceNames(parseLinks((await h.exec(['ip', '-d', '-j', 'link', 'show'])).stdout));
}

beforeAll(async () => {
  th = await createTestHosts({ count: 1 });
  host = th.hosts[0]!;
  links = new OverlayLinks({ run: hostRunner(host), localAddr: host.addr });
});

afterAll(async () => {
  await th?.destroy();
});

describe('OverlayLinks on a real namespace', () => {
  it('creates, converges, follows peer changes, repairs, and removes without leftovers', async () => {
    const peerA = siblingAddr(host.addr, 201);
    const peerB = siblingAddr(host.addr, 202);
    const peerC = siblingAddr(host.addr, 203);
    const desired: OverlayDesired = {
      network: { id: 'net-links', vni: 4201, subnet: '198.19.42.0/24', gateway: '198.19.42.1' },
      peers: [peerA, peerB, host.addr],
      endpoints: [
        { ip: '198.19.42.2', mac: macForIp('198.19.42.2'), node: host.addr },
        { ip: '198.19.42.3', mac: macForIp('198.19.42.3'), node: peerA },
      ],
    };

    expect((await links.ensure(desired)).length).toBeGreaterThan(0);
    expect(await links.ensure(desired)).toEqual([]);

    const seen = await links.observe(4201);
    expect(seen.vxlan).toMatchObject({ kind: 'vxlan', vni: 4201, local: host.addr, port: 4789, learning: false, master: 'fltbr-4201', mtu: 1450, up: true });
    expect(seen.bridge).toMatchObject({ kind: 'bridge', addrGenMode: 'none', mac: macForIp('198.19.42.1'), mtu: 1450, up: true });
    expect((await host.exec(['ip', '-6', '-o', 'addr', 'show', 'dev', 'fltbr-4201'])).stdout.trim()).toBe('');
    const byKey = (e: { mac: string; dst: string }) => `${e.mac} ${e.dst}`;
    expect(seen.fdb.map(byKey).sort()).toEqual([`00:00:00:00:00:00 ${peerA}`, `00:00:00:00:00:00 ${peerB}`, `02:42:c6:13:2a:03 ${peerA}`].sort());
    expect(seen.neigh).toEqual([{ ip: '198.19.42.3', mac: '02:42:c6:13:2a:03' }]);

    const moved: OverlayDesired = { ...desired, peers: [peerA, peerC] };
    const changes = (await links.ensure(moved)).map((c) => c.argv.join(' '));
    expect(changes).toEqual([`bridge fdb del 00:00:00:00:00:00 dev fltvx-4201 dst ${peerB}`, `bridge fdb append 00:00:00:00:00:00 dev fltvx-4201 dst ${peerC}`]);
    expect(await links.ensure(moved)).toEqual([]);

    // Someone detaches the device and drops an entry: only that is put back.
    await host.exec(['ip', 'link', 'set', 'dev', 'fltvx-4201', 'nomaster']);
    await host.exec(['ip', 'neigh', 'del', '198.19.42.3', 'dev', 'fltbr-4201']);
    expect((await links.ensure(moved)).map((c) => c.argv.join(' '))).toEqual([
      'ip link set dev fltvx-4201 master fltbr-4201 mtu 1450 up',
      'ip neigh replace 198.19.42.3 lladdr 02:42:c6:13:2a:03 dev fltbr-4201 nud permanent',
    ]);
    expect(await links.ensure(moved)).toEqual([]);

    expect(await overlayDevices(host)).toEqual(['fltbr-4201', 'fltvx-4201']);
    expect((await links.remove(4201)).length).toBe(2);
    expect(await overlayDevices(host)).toEqual([]);
    expect((await host.exec(['ip', '-d', 'link'])).stdout).not.toMatch(/vxlan|fltbr|fltvx/);
    expect(await links.remove(4201)).toEqual([]);
  });

  it('rejects bad input and creates nothing', async () => {
    const bad: OverlayDesired = {
      network: { id: 'net-bad', vni: 4202, subnet: '198.19.43.0/24', gateway: '198.19.44.1' },
      peers: [],
      endpoints: [],
    };
    await expect(links.ensure(bad)).rejects.toThrow(OverlayInputError);
    expect(await overlayDevices(host)).toEqual([]);
  });
});
