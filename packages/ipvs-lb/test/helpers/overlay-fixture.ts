import type { TestHost } from '@flotilla/testkit';

// A minimal overlay made by hand in test hosts, shaped like the agent's (bridge fltbr-<vni>
// with the gateway address and the same MAC on every node, VXLAN fltvx-<vni> without
// learning, flooding to the peers), and "containers": network namespaces of our own joined
// to the bridges by veth pairs. The load balancer only relies on those names and addresses.

export interface OverlayDef {
  vni: number;
  gateway: string; // e.g. 198.19.1.1
  prefixLen: number;
}

export function macForIp(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

export async function makeOverlay(host: TestHost, net: OverlayDef, peers: readonly string[]): Promise<void> {
  const br = `fltbr-${net.vni}`;
  const vx = `fltvx-${net.vni}`;
  const run = (...argv: string[]) => host.exec(argv);
  await run('ip', 'link', 'add', br, 'type', 'bridge');
  await run('ip', 'link', 'set', 'dev', br, 'addrgenmode', 'none');
  await run('ip', 'link', 'set', 'dev', br, 'address', macForIp(net.gateway), 'mtu', '1450', 'up');
  await run('ip', 'addr', 'add', `${net.gateway}/${net.prefixLen}`, 'dev', br);
  await run('ip', 'link', 'add', vx, 'type', 'vxlan', 'id', String(net.vni), 'local', host.addr, 'dstport', '4789', 'nolearning');
  await run('ip', 'link', 'set', 'dev', vx, 'master', br, 'mtu', '1450', 'up');
  for (const p of peers) await run('bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', vx, 'dst', p);
}

/**
 * What the agent does for every endpoint on another node: a permanent neighbour entry on the
 * bridge and a forwarding entry to that node. The node needs it to route to a remote task:
 * an ARP reply would be addressed to the gateway MAC, which every node keeps for itself.
 */
export async function addRemoteEndpoint(host: TestHost, net: OverlayDef, ip: string, node: string): Promise<void> {
  const mac = macForIp(ip);
  await host.exec(['ip', 'neigh', 'replace', ip, 'lladdr', mac, 'dev', `fltbr-${net.vni}`, 'nud', 'permanent']);
  await host.exec(['bridge', 'fdb', 'append', mac, 'dev', `fltvx-${net.vni}`, 'dst', node]);
}

/** A network namespace of our own standing in for a container, seen through the same exec/spawn as a host. */
export type FakeContainer = TestHost;

export async function makeContainer(
  host: TestHost,
  name: string,
  attachments: readonly { net: OverlayDef; ip: string }[],
  defaultVia: string,
): Promise<FakeContainer> {
  const ns = `${host.netns}-${name}`;
  await host.exec(['ip', 'netns', 'add', ns]);
  const inNs = (...argv: string[]) => host.exec(['ip', 'netns', 'exec', ns, ...argv]);
  await inNs('ip', 'link', 'set', 'lo', 'up');
  for (const [i, a] of attachments.entries()) {
    const veth = `v${host.index}${name}${i}`.slice(0, 15);
    await host.exec(['ip', 'link', 'add', veth, 'mtu', '1450', 'type', 'veth', 'peer', 'name', `eth${i}`, 'netns', ns]);
    await host.exec(['ip', 'link', 'set', 'dev', veth, 'master', `fltbr-${a.net.vni}`, 'up']);
    await inNs('ip', 'link', 'set', 'dev', `eth${i}`, 'address', macForIp(a.ip));
    await inNs('ip', 'addr', 'add', `${a.ip}/${a.net.prefixLen}`, 'dev', `eth${i}`);
    await inNs('ip', 'link', 'set', 'dev', `eth${i}`, 'mtu', '1450', 'up');
  }
  await inNs('ip', 'route', 'add', 'default', 'via', defaultVia);
  return {
    ...host,
    name: `${host.name}/${name}`,
    netns: ns,
    exec: (cmd, opts) => host.exec(['ip', 'netns', 'exec', ns, ...cmd], opts),
    spawn: (cmd, opts) => host.spawn(['ip', 'netns', 'exec', ns, ...cmd], opts),
  };
}

export async function removeContainer(host: TestHost, c: FakeContainer): Promise<void> {
  await host.exec(['ip', 'netns', 'del', c.netns], { allowFailure: true });
}

// Resolves names against one DNS server with Node's resolver, printing {name: [addrs] | "ECODE"} as JSON.
const RESOLVE = `
const { Resolver } = require('node:dns').promises;
const [server, ...names] = process.argv.slice(1);
const r = new Resolver({ timeout: 3000, tries: 1 });
r.setServers([server]);
(async () => {
  const out = {};
  for (const n of names) {
    try { out[n] = (await r.resolve4(n)).sort(); } catch (e) { out[n] = e.code; }
  }
  console.log(JSON.stringify(out));
})();
`;

export async function resolveIn(c: FakeContainer, server: string, names: readonly string[]): Promise<Record<string, string[] | string>> {
  const r = await c.exec([process.execPath, '-e', RESOLVE, server, ...names], { timeoutMs: 30_000 });
  return JSON.parse(r.stdout) as Record<string, string[] | string>;
}
