// Service VIPs, service DNS and the routing mesh end to end: three test hosts (own network
// namespace and Docker Engine each) running real flotillad (a manager and two workers) and the
// real CLI. A 2-replica busybox httpd service on an overlay network publishing 18080: a client
// container on the same network reaches both replicas by service name (VIP) and by tasks.
// name, each host answers the published port and reaches both replicas, a dead replica stops
// getting traffic, and after `service rm` no rule or VIP address is left. Nothing is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostCluster, type ClusterNode, type HostCluster } from '../helpers/host-cluster.js';
import { containersOf, getMany, httpGetMany } from '../helpers/host-services.js';
import { waitFor } from '../helpers/wait.js';

const LONG = 300_000;
const IMAGE = 'flotilla/busybox:latest';
const PORT = 18080;
const HOST_PORT = 18081;
// Each replica serves its container's hostname (the first 12 characters of the container id).
const HTTPD = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www';
let cluster: HostCluster | undefined;

beforeAll(async () => {
  cluster = await startHostCluster({ count: 3, initArgs: ['--default-addr-pool', '198.19.0.0/16'] });
}, LONG);

afterAll(async () => {
  await cluster?.destroy();
}, LONG);

async function leftovers(node: ClusterNode): Promise<string[]> {
  const saved = (await node.host.exec(['iptables-save'])).stdout;
  const rules = saved.split('\n').filter((l) => l.includes('FLT-') && (l.includes(`${PORT}`) || l.includes('DNAT')));
  const addrs = (await node.host.exec(['ip', '-4', '-o', 'addr', 'show'])).stdout.split('\n').filter((l) => /fltbr-\S+\s+inet \S+\/32/.test(l));
  return [...rules, ...addrs];
}

describe('service VIPs, DNS and the routing mesh across three hosts (real flotillad, CLI, engines)', () => {
  let web = new Map<string, ClusterNode>();
  let client: { id: string; node: ClusterNode } | undefined;
  let outsider: { id: string; node: ClusterNode } | undefined;
  let webVip = '';

  it('runs 2 replicas of web on two hosts and a client on the same overlay network', async () => {
    const c = cluster!;
    expect(await c.ok(c.leader, 'info')).toMatch(/Load Balancer: iptables/);
    await c.ok(c.leader, 'network', 'create', '-d', 'overlay', 'mynet');
    await c.ok(c.leader, 'service', 'create', '--detach', '--name', 'web', '--replicas', '2', '--network', 'mynet', '--publish', `${PORT}:80`, IMAGE, 'sh', '-c', HTTPD);
    await c.ok(c.leader, 'service', 'create', '--detach', '--name', 'client', '--network', 'mynet', IMAGE, 'sleep', '3600');
    // A container on another network must neither resolve nor reach web.
    await c.ok(c.leader, 'network', 'create', '-d', 'overlay', 'othernet');
    await c.ok(c.leader, 'service', 'create', '--detach', '--name', 'outsider', '--network', 'othernet', IMAGE, 'sleep', '3600');
    web = await waitFor('2 web containers running', async () => {
      const found = await containersOf(c, 'web');
      return found.size === 2 ? found : undefined;
    }, 120_000);
    expect(new Set(web.values()).size).toBe(2);
    const cl = await waitFor('the client container running', async () => {
      const found = [...(await containersOf(c, 'client'))][0];
      return found ? { id: found[0], node: found[1] } : undefined;
    }, 120_000);
    client = cl;
    outsider = await waitFor('the outsider container running', async () => {
      const found = [...(await containersOf(c, 'outsider'))][0];
      return found ? { id: found[0], node: found[1] } : undefined;
    }, 120_000);
  }, LONG);

  it('a container on the network reaches both replicas through the service name and tasks.<service>', async () => {
    const cl = client!;
    // The client's node learns the serving tasks with the next network state: wait for both.
    const seen = await waitFor('http://web to answer from both replicas', async () => {
      const bodies = await httpGetMany(cl.node, cl.id, 'web', 20);
      const set = new Set(bodies);
      return set.size === 2 && [...set].every((b) => web.has(b)) ? set : undefined;
    }, 90_000);
    expect(seen).toEqual(new Set(web.keys()));
    const name = await cl.node.host.exec(['docker', 'exec', cl.id, 'nslookup', 'web'], { allowFailure: true });
    webVip = /Name:\s*web\s+Address:?\s*\d*:?\s*(198\.19\.\d+\.\d+)/.exec(name.stdout)?.[1] ?? '';
    expect(webVip, name.stdout).not.toBe('');
    const tasks = await cl.node.host.exec(['docker', 'exec', cl.id, 'nslookup', 'tasks.web'], { allowFailure: true });
    const addrs = [...tasks.stdout.matchAll(/Address:?\s*\d*:?\s*(198\.19\.\d+\.\d+)/g)].map((m) => m[1]);
    expect(new Set(addrs).size, tasks.stdout).toBe(2);
    const byTasks = new Set(await httpGetMany(cl.node, cl.id, 'tasks.web', 10));
    for (const b of byTasks) expect(web.has(b), b).toBe(true);
  }, LONG);

  it('a container on another network neither resolves web nor reaches its VIP', async () => {
    const o = outsider!;
    const lookup = await o.node.host.exec(['docker', 'exec', o.id, 'nslookup', 'web'], { allowFailure: true });
    expect(lookup.stdout).not.toContain(webVip);
    expect(`${lookup.stdout}${lookup.stderr}`).toMatch(/NXDOMAIN|can't find|server can't/i);
    expect(await httpGetMany(o.node, o.id, webVip, 3)).toEqual(['fail', 'fail', 'fail']);
  }, LONG);

  it('every host answers the published port and reaches both replicas', async () => {
    const c = cluster!;
    for (const node of c.nodes) {
      const seen = await waitFor(`${node.name}:${PORT} to reach both replicas`, async () => {
        const set = new Set(await getMany(node.addr, PORT, 20));
        return set.size === 2 && [...set].every((b) => web.has(b)) ? set : undefined;
      }, 90_000);
      expect(seen).toEqual(new Set(web.keys()));
    }
  }, LONG);

  it('a host-mode published port is answered only on the node that runs the task', async () => {
    const c = cluster!;
    await c.ok(c.leader, 'service', 'create', '--detach', '--name', 'hostweb', '--network', 'mynet', '--publish', `mode=host,target=80,published=${HOST_PORT}`, IMAGE, 'sh', '-c', HTTPD);
    const [id, node] = await waitFor('the hostweb container running', async () => [...(await containersOf(c, 'hostweb'))][0], 120_000);
    const answers = await waitFor(`${node.name}:${HOST_PORT} to answer`, async () => {
      const got = await getMany(node.addr, HOST_PORT, 3);
      return got.every((b) => b === id) ? got : undefined;
    }, 60_000);
    expect(answers).toEqual([id, id, id]);
    for (const other of c.nodes.filter((n) => n !== node)) {
      expect(await getMany(other.addr, HOST_PORT, 2)).toEqual(['error:ECONNREFUSED', 'error:ECONNREFUSED']);
    }
    await c.ok(c.leader, 'service', 'rm', 'hostweb');
  }, LONG);

  it('a replica that dies stops getting traffic', async () => {
    const c = cluster!;
    const [deadId, deadNode] = [...web][0]!;
    await deadNode.host.exec(['docker', 'kill', deadId]);
    // Until the replacement serves, only the survivor answers; then the replacement joins in.
    for (const node of c.nodes) {
      await waitFor(`${node.name}:${PORT} to stop sending to the dead replica`, async () => {
        const bodies = await getMany(node.addr, PORT, 10);
        return bodies.every((b) => b !== deadId && !b.startsWith('error')) ? true : undefined;
      }, 60_000);
    }
  }, LONG);

  it('after service rm no mesh rule, VIP rule or VIP address is left on any host', async () => {
    const c = cluster!;
    await c.ok(c.leader, 'service', 'rm', 'web', 'client', 'outsider');
    for (const node of c.nodes) {
      await waitFor(`no load-balancer leftovers on ${node.name}`, async () => ((await leftovers(node)).length === 0 ? true : undefined), 60_000);
    }
  }, LONG);
});
