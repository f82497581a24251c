// The gossip network DB at work across three test hosts (own network namespace and Docker
// Engine each) running real flotillad and the real CLI. What it shows:
// - the network DB rows (VTEPs and task endpoints, per overlay network) that `flotilla info`
//   counts reach every host in the network's group: the DB has no input but gossip, so rows a
//   host counts for tasks on other hosts came node to node; a host new to a network (its first
//   task there) joins the group and its VTEP and endpoint rows reach the others;
// - a replica that turns unhealthy on a worker that cannot talk to the managers (its NATS
//   traffic dropped, gossip and VXLAN left alone) leaves the routing mesh and the service VIP of
//   every other host, while the managers still list it Running: its owner's tombstone did it,
//   not the dispatcher.
// Nothing is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostCluster, type ClusterNode, type HostCluster } from '../helpers/host-cluster.js';
import { containersOf, getMany, httpGetMany } from '../helpers/host-services.js';
import { waitFor } from '../helpers/wait.js';

const LONG = 300_000;
const IMAGE = 'flotilla/busybox:latest';
const PORT = 18090;
const NATS_PORT = 4222;
// Serves the container's hostname (12 characters of its id); healthy while /www/ok exists.
const HTTPD = 'mkdir -p /www && hostname > /www/index.html && touch /www/ok && exec httpd -f -p 80 -h /www';
const NATS_DROP = [
  ['OUTPUT', '-p', 'tcp', '--dport', String(NATS_PORT), '-j', 'DROP'],
  ['INPUT', '-p', 'tcp', '--sport', String(NATS_PORT), '-j', 'DROP'],
];
let cluster: HostCluster | undefined;

beforeAll(async () => {
  cluster = await startHostCluster({ count: 3, initArgs: ['--default-addr-pool', '198.19.0.0/16'] });
  // A worker that loses the managers is marked down only after 4 × 20 s: the test below has
  // that long to see gossip do what the dispatcher cannot.
  await cluster.ok(cluster.leader, 'swarm', 'update', '--dispatcher-heartbeat', '20s');
}, LONG);

afterAll(async () => {
  await cluster?.destroy();
}, LONG);

/** `info`'s network DB line for a network on a node, e.g. "3 peers, 5 endpoints, 3 VTEPs, 0 tombstones"; undefined when not in its group. */
async function groupLine(c: HostCluster, node: ClusterNode, network: string): Promise<string | undefined> {
  const info = await c.ok(node, 'info');
  return new RegExp(`^    ${network}: (.*)$`, 'm').exec(info)?.[1];
}

async function waitForGroup(c: HostCluster, nodes: readonly ClusterNode[], network: string, wanted: RegExp): Promise<void> {
  for (const node of nodes) {
    let last: string | undefined;
    await waitFor(`${node.name}'s network DB to show ${network} as ${wanted}`, async () => {
      last = await groupLine(c, node, network);
      return last !== undefined && wanted.test(last) ? true : undefined;
    }, 90_000).catch((err: Error) => {
      throw new Error(`${err.message} (last: ${last ?? 'not in the group'})\n${c.log(node).split('\n').filter((l) => l.includes('networkdb')).slice(-20).join('\n')}`);
    });
  }
}

describe('the gossip network DB across three hosts (real flotillad, CLI, engines)', () => {
  let web = new Map<string, ClusterNode>();

  it("each host's network DB holds the VTEP and endpoint rows of the tasks on its networks", async () => {
    const c = cluster!;
    // The three gossip members find one another shortly after the swarm forms (later on a loaded machine).
    await waitFor('the leader to see 3 gossip members alive', async () => (/Gossip:\n {3}Members: 3 alive, 0 suspect, 0 dead, 0 left\n/.test(await c.ok(c.leader, 'info')) ? true : undefined), 60_000);
    await c.ok(c.leader, 'network', 'create', '-d', 'overlay', 'mynet');
    await c.ok(
      c.leader, 'service', 'create', '--detach', '--name', 'web', '--replicas', '2', '--network', 'mynet', '--publish', `${PORT}:80`,
      '--health-cmd', 'test -f /www/ok', '--health-interval', '1s', '--health-retries', '1',
      IMAGE, 'sh', '-c', HTTPD,
    );
    web = await waitFor('2 web containers running', async () => {
      const found = await containersOf(c, 'web');
      return found.size === 2 ? found : undefined;
    }, 120_000);
    const webHosts = [...new Set(web.values())];
    expect(webHosts).toHaveLength(2);
    // Every host's load balancer is in the ingress group; both replicas are its endpoints.
    await waitForGroup(c, c.nodes, 'ingress', /^3 peers, 2 endpoints, 3 VTEPs, /);
    // Only the two hosts with a replica are in mynet's group, and each has both replicas' rows.
    await waitForGroup(c, webHosts, 'mynet', /^2 peers, 2 endpoints, 2 VTEPs, /);
    const third = c.nodes.find((n) => !webHosts.includes(n))!;
    expect(await groupLine(c, third, 'mynet')).toBeUndefined();

    // A task on the third host: it joins mynet's group, and its VTEP and endpoint reach the others.
    await c.ok(c.leader, 'service', 'create', '--detach', '--name', 'client', '--mode', 'global', '--network', 'mynet', IMAGE, 'sleep', '3600');
    await waitForGroup(c, c.nodes, 'mynet', /^3 peers, 5 endpoints, 3 VTEPs, /);
  }, LONG);

  it('a replica that turns unhealthy leaves every other host’s routing mesh and VIP through gossip while the managers cannot hear of it', async () => {
    const c = cluster!;
    const onWorker = [...web].find(([, node]) => node !== c.leader);
    expect(onWorker, 'a web replica on a worker host').toBeDefined();
    const [sickId, sickNode] = onWorker!;
    const [survivorId] = [...web].find(([id]) => id !== sickId)!;
    const others = c.nodes.filter((n) => n !== sickNode);
    for (const node of others) {
      await waitFor(`${node.name}:${PORT} to reach both replicas`, async () => {
        const set = new Set(await getMany(node.addr, PORT, 20));
        return set.has(sickId) && set.has(survivorId) ? true : undefined;
      }, 90_000);
    }

    const clients = await containersOf(c, 'client');
    const clientOn = (node: ClusterNode) => {
      const id = [...clients].find(([, n]) => n === node)?.[0];
      expect(id, `a client container on ${node.name}`).toBeDefined();
      return id!;
    };
    for (const node of others) {
      await waitFor(`web's VIP on ${node.name} to reach both replicas`, async () => {
        const set = new Set(await httpGetMany(node, clientOn(node), 'web', 20));
        return set.has(sickId) && set.has(survivorId) ? true : undefined;
      }, 90_000);
    }

    // The worker can no longer talk to the managers (NATS); gossip (7946) and VXLAN (4789) still flow.
    for (const rule of NATS_DROP) await sickNode.host.exec(['iptables', '-I', ...rule]);
    try {
      await sickNode.host.exec(['docker', 'exec', sickId, 'rm', '/www/ok']);
      for (const node of others) {
        await waitFor(`${node.name}:${PORT} to send only to the healthy replica`, async () => {
          const bodies = await getMany(node.addr, PORT, 10);
          return bodies.every((b) => b === survivorId) ? true : undefined;
        }, 30_000);
      }
      // The same for the service VIP: a client container on each other host reaches only the healthy replica through `web`.
      for (const node of others) {
        await waitFor(`web's VIP on ${node.name} to send only to the healthy replica`, async () => {
          const bodies = await httpGetMany(node, clientOn(node), 'web', 10);
          return bodies.every((b) => b === survivorId) ? true : undefined;
        }, 30_000);
      }
      // The managers never heard: both tasks are still Running there and the node is Ready.
      const ps = await c.ok(c.leader, 'service', 'ps', 'web');
      expect(ps.split('\n').filter((l) => /\bRunning\b/.test(l)), ps).toHaveLength(2);
      expect(ps).not.toMatch(/unhealthy/);
      expect([...(await c.nodeStates(c.leader)).values()].find((r) => r.name === sickNode.name)?.status).toBe('Ready');
    } finally {
      for (const rule of NATS_DROP) await sickNode.host.exec(['iptables', '-D', ...rule], { allowFailure: true });
    }
    // Once the worker reaches the managers again, they learn of the failure and replace the task.
    await waitFor('the managers to see the unhealthy task and replace it', async () => {
      const ps = await c.ok(c.leader, 'service', 'ps', 'web');
      return /unhealthy container/.test(ps) && ps.split('\n').filter((l) => /\bRunning\b/.test(l)).length === 2 ? true : undefined;
    }, 120_000);
  }, LONG);
});
