// `swarm leave` takes the node's networking with it, a daemon stop does not: three test hosts
// (own network namespace and Docker Engine each) running real flotillad (a manager and two
// workers) and the real CLI. A global busybox httpd service on an overlay network publishing a port through
// the ingress routing mesh answers on each host's 127.0.0.1; a stopped worker daemon keeps its
// bridges, VXLAN devices and Docker networks (re-adopted at its next start); after `swarm leave`
// (worker), `swarm leave --force` (the manager) and `swarm leave` of a worker whose daemon was
// SIGKILLed (its FLT- chains left behind) and restarted while its manager is unreachable (no
// runtime, so no load balancer to close them), no fltbr-/fltvx- device, no flotilla-ovl- Docker
// network, no FLT- iptables rule and no task container is left. Nothing is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostCluster, type ClusterNode, type HostCluster } from '../helpers/host-cluster.js';
import { waitFor } from '../helpers/wait.js';

const LONG = 300_000;
const IMAGE = 'flotilla/busybox:latest';
const PORT = 18130;
// Each task serves its container's hostname (the first 12 characters of the container id).
const HTTPD = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www';
// An HTTP GET run by node inside a host's namespace: prints the body, or error:<code>.
const GET = `const http=require('http');const r=http.get({host:process.argv[1],port:+process.argv[2],path:'/',timeout:3000,agent:false},(res)=>{let b='';res.on('data',(d)=>b+=d);res.on('end',()=>console.log(b.trim()))});r.on('timeout',()=>r.destroy(new Error('timeout')));r.on('error',(e)=>console.log('error:'+(e.code||e.message)))`;
let cluster: HostCluster | undefined;

beforeAll(async () => {
  cluster = await startHostCluster({ count: 3, initArgs: ['--default-addr-pool', '198.19.0.0/16'] });
}, LONG);

afterAll(async () => {
  await cluster?.destroy();
}, LONG);

async function getIn(node: ClusterNode, addr: string, port: number): Promise<string> {
  return (await node.host.exec([process.execPath, '-e', GET, addr, String(port)], { allowFailure: true, timeoutMs: 30_000 })).stdout.trim();
}

async function webContainers(node: ClusterNode): Promise<string[]> {
  const ps = await node.host.exec(['docker', 'ps', '-a', '--filter', 'label=io.flotilla.service.name=web', '--format', '{{.ID}}']);
  return ps.stdout.split('\n').filter(Boolean).map((id) => id.slice(0, 12));
}

/** What of the swarm's networking and tasks a host still has. */
async function networkingOf(node: ClusterNode): Promise<{ devices: string[]; dockerNetworks: string[]; fltRules: string[]; containers: string[] }> {
  const devices = (await node.host.exec(['ip', '-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n.startsWith('fltbr-') || n.startsWith('fltvx-'))
    .sort();
  const dockerNetworks = (await node.host.exec(['docker', 'network', 'ls', '--format', '{{.Name}}'])).stdout
    .split('\n')
    .filter((n) => n.startsWith('flotilla-ovl-'))
    .sort();
  const fltRules = (await node.host.exec(['iptables-save'])).stdout.split('\n').filter((l) => l.includes('FLT-'));
  return { devices, dockerNetworks, fltRules, containers: await webContainers(node) };
}

describe('swarm leave removes the node networking; a daemon stop keeps it (real flotillad, CLI, engines)', () => {
  let ingressAndApp: string[] = [];

  it('a published port of a global service answers on 127.0.0.1 of every host', async () => {
    const c = cluster!;
    expect(await c.ok(c.leader, 'info')).toMatch(/Load Balancer: iptables/);
    await c.ok(c.leader, 'network', 'create', '-d', 'overlay', 'appnet');
    await c.ok(c.leader, 'service', 'create', '--detach', '--mode', 'global', '--name', 'web', '--network', 'appnet', '--publish', `${PORT}:80`, '--stop-grace-period', '1s', IMAGE, 'sh', '-c', HTTPD);
    const all = new Set<string>();
    for (const node of c.nodes) {
      const [id] = await waitFor(`the web container running on ${node.name}`, async () => {
        const ids = await webContainers(node);
        return ids.length > 0 ? ids : undefined;
      }, 120_000);
      all.add(id!);
    }
    for (const node of c.nodes) {
      // While the tasks start and the nodes learn each other's, a round may see a reset: wait for a clean one.
      const seen = await waitFor(`http://127.0.0.1:${PORT}/ on ${node.name} to reach both tasks and nothing else`, async () => {
        const got = new Set<string>();
        for (let i = 0; i < 12; i++) got.add(await getIn(node, '127.0.0.1', PORT));
        return [...all].every((id) => got.has(id)) && got.size === all.size ? got : undefined;
      }, 120_000);
      expect(seen).toEqual(all);
    }
    const worker = c.nodes[1]!;
    const before = await networkingOf(worker);
    expect(before.devices).toContain('fltbr-4096');
    expect(before.dockerNetworks.length).toBe(2);
    expect(before.fltRules.length).toBeGreaterThan(0);
    ingressAndApp = before.devices;
  }, LONG);

  it('a stopped worker daemon keeps its overlay devices and Docker networks; started again, it serves again', async () => {
    const c = cluster!;
    const worker = c.nodes[1]!;
    await c.stopDaemon(worker);
    const kept = await networkingOf(worker);
    expect(kept.devices).toEqual(ingressAndApp);
    expect(kept.dockerNetworks.length).toBe(2);
    await c.startDaemon(worker);
    await c.waitForStatus(c.leader, [worker], 'Ready', 120_000);
    await waitFor(`http://127.0.0.1:${PORT}/ on ${worker.name} to answer after the restart`, async () => {
      const body = await getIn(worker, '127.0.0.1', PORT);
      return body.startsWith('error:') ? undefined : body;
    }, 120_000);
  }, LONG);

  it('swarm leave on the worker leaves no overlay device, Docker network, FLT- rule or task container', async () => {
    const c = cluster!;
    const worker = c.nodes[1]!;
    await c.ok(worker, 'swarm', 'leave');
    expect(await networkingOf(worker)).toEqual({ devices: [], dockerNetworks: [], fltRules: [], containers: [] });
    expect(await getIn(worker, '127.0.0.1', PORT)).toBe('error:ECONNREFUSED');
  }, LONG);

  it('a worker killed (its FLT- chains stay) and restarted while its manager is unreachable leaves nothing behind either', async () => {
    const c = cluster!;
    const [manager, , killed] = c.nodes as [ClusterNode, ClusterNode, ClusterNode];
    const daemon = killed.daemon!;
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGKILL');
    await exited;
    expect((await networkingOf(killed)).fltRules.length).toBeGreaterThan(0);
    await c.cutOff(manager);
    try {
      await c.startDaemon(killed);
      expect(await c.ok(killed, 'info')).toMatch(/Swarm: pending/);
      await c.ok(killed, 'swarm', 'leave');
    } finally {
      await c.heal(manager);
    }
    expect(await networkingOf(killed)).toEqual({ devices: [], dockerNetworks: [], fltRules: [], containers: [] });
  }, LONG);

  it('swarm leave --force on the manager leaves nothing behind either', async () => {
    const c = cluster!;
    const manager = c.leader;
    expect((await networkingOf(manager)).devices.length).toBeGreaterThan(0);
    await c.ok(manager, 'swarm', 'leave', '--force');
    expect(await networkingOf(manager)).toEqual({ devices: [], dockerNetworks: [], fltRules: [], containers: [] });
  }, LONG);
});
