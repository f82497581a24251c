// Overlay networks across machines, end to end: three test hosts (own network namespace and
// Docker Engine each) running real flotillad (a manager and two workers), the real CLI. A
// global service on an overlay network puts a task on every host; the task containers get the
// allocator's addresses and reach each other across hosts over VXLAN; after `service rm`
// nothing of the network is left on any host. Nothing is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostCluster, type ClusterNode, type HostCluster } from '../helpers/host-cluster.js';
import { waitFor } from '../helpers/wait.js';

const LONG = 240_000;
const IMAGE = 'flotilla/busybox:latest';
const SUBNET = '198.19.77.0/24';
const GATEWAY = '198.19.77.1';
let cluster: HostCluster | undefined;

beforeAll(async () => {
  cluster = await startHostCluster({ count: 3 });
}, LONG);

afterAll(async () => {
  await cluster?.destroy();
}, LONG);

interface TaskContainer {
  id: string;
  ip: string;
  dns: string[];
}

/** The container of service `service` on `node`, with its address on the overlay network. */
async function containerOn(node: ClusterNode, service: string, networkId: string): Promise<TaskContainer | undefined> {
  const ps = await node.host.exec(['docker', 'ps', '--filter', `label=io.flotilla.service.name=${service}`, '--format', '{{.ID}}']);
  const id = ps.stdout.trim().split('\n').filter(Boolean)[0];
  if (!id) return undefined;
  const info = JSON.parse((await node.host.exec(['docker', 'inspect', id])).stdout)[0];
  const ip = info.NetworkSettings.Networks[`flotilla-ovl-${networkId}`]?.IPAddress ?? '';
  return { id, ip, dns: info.HostConfig.Dns ?? [] };
}

async function overlayLeft(node: ClusterNode): Promise<string[]> {
  const links = (await node.host.exec(['ip', '-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n.startsWith('fltbr-') || n.startsWith('fltvx-'));
  const nets = (await node.host.exec(['docker', 'network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((n) => n.startsWith('flotilla-ovl-'));
  const containers = (await node.host.exec(['docker', 'ps', '-aq', '--filter', 'label=io.flotilla.service.name=web'])).stdout.trim();
  return [...links, ...nets, ...(containers ? ['web containers'] : [])];
}

describe('overlay network across three hosts (real flotillad, CLI, engines, VXLAN)', () => {
  let networkId = '';
  const tasks = new Map<string, TaskContainer>();

  it('a global service on an overlay network runs a task on every host, each with its allocated address', async () => {
    const c = cluster!;
    networkId = (await c.ok(c.leader, 'network', 'create', '-d', 'overlay', '--subnet', SUBNET, 'appnet')).trim();
    expect(networkId).toMatch(/^\w+$/);
    await c.ok(c.leader, 'service', 'create', '--detach', '--mode', 'global', '--name', 'web', '--network', 'appnet', '--stop-grace-period', '1s', IMAGE, 'nc', '-ll', '-p', '8080', '-e', 'hostname');
    for (const node of c.nodes) {
      const t = await waitFor(`web task container with an overlay address on ${node.name}`, async () => {
        const found = await containerOn(node, 'web', networkId);
        return found && found.ip ? found : undefined;
      }, 90_000);
      tasks.set(node.name, t);
    }
    const ips = [...tasks.values()].map((t) => t.ip);
    expect(new Set(ips).size).toBe(3);
    for (const ip of ips) expect(ip.startsWith('198.19.77.')).toBe(true);
    for (const t of tasks.values()) expect(t.dns).toEqual([GATEWAY]);
    // what the allocator gave each task is what its container has
    const ps = await c.ok(c.leader, 'service', 'ps', 'web');
    expect(ps.split('\n').filter((l) => l.includes('Running'))).toHaveLength(3);
  }, LONG);

  it('a task container on one host pings and connects to the tasks on the other hosts', async () => {
    const c = cluster!;
    const [a, b, d] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
    const fromA = tasks.get(a.name)!;
    for (const [target, node] of [[tasks.get(b.name)!, b], [tasks.get(d.name)!, d]] as const) {
      const ping = await a.host.exec(['docker', 'exec', fromA.id, 'ping', '-c', '1', '-W', '3', target.ip], { allowFailure: true, timeoutMs: 15_000 });
      expect(ping.code, `${a.name} -> ${node.name}: ${ping.stdout}${ping.stderr}`).toBe(0);
      const tcp = await a.host.exec(['docker', 'exec', fromA.id, 'sh', '-c', `nc -w 3 ${target.ip} 8080 </dev/null`], { allowFailure: true, timeoutMs: 15_000 });
      // the listener answers with its container's hostname: the container id's first 12 characters
      expect(tcp.stdout.trim()).toBe(target.id.slice(0, 12));
    }
  }, LONG);

  it('a worker\'s flotillad restarted keeps its task container on the network, still reachable, nothing duplicated', async () => {
    const c = cluster!;
    const [a, b] = c.nodes as [ClusterNode, ClusterNode];
    const before = tasks.get(b.name)!;
    await c.stopDaemon(b);
    await c.startDaemon(b);
    await c.waitForStatus(c.leader, [b], 'Ready');
    // the re-adopted container (same id), the overlay still plumbed and nothing pruned from under it
    const after = await waitFor(`web container on ${b.name} after the restart`, () => containerOn(b, 'web', networkId));
    expect(after.id).toBe(before.id);
    expect(after.ip).toBe(before.ip);
    const all = (await b.host.exec(['docker', 'ps', '-aq', '--filter', 'label=io.flotilla.service.name=web'])).stdout.trim().split('\n');
    expect(all).toHaveLength(1);
    const fromA = tasks.get(a.name)!;
    const tcp = await waitFor(`TCP answer from ${b.name} after its restart`, async () => {
      const r = await a.host.exec(['docker', 'exec', fromA.id, 'sh', '-c', `nc -w 3 ${after.ip} 8080 </dev/null`], { allowFailure: true, timeoutMs: 15_000 });
      return r.stdout.trim() ? r.stdout.trim() : undefined;
    }, 30_000);
    expect(tcp).toBe(after.id.slice(0, 12));
  }, LONG);

  it('after service rm nothing of the network is left on any host', async () => {
    const c = cluster!;
    await c.ok(c.leader, 'service', 'rm', 'web');
    for (const node of c.nodes) {
      await waitFor(`no overlay left on ${node.name}`, async () => ((await overlayLeft(node)).length === 0 ? true : undefined), 60_000);
    }
    await c.ok(c.leader, 'network', 'rm', 'appnet');
  }, LONG);
});
