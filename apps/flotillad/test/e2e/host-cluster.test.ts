// The host-cluster harness itself: three real flotillad daemons, each in its own network
// namespace with its own Docker Engine, forming a swarm over the test hosts' bridge (a manager and
// two workers). Nothing is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeLs, startHostCluster, type HostCluster } from '../helpers/host-cluster.js';

const LONG = 180_000;
let cluster: HostCluster | undefined;

beforeAll(async () => {
  cluster = await startHostCluster({ count: 3 });
}, LONG);

afterAll(async () => {
  await cluster?.destroy();
}, LONG);

describe('host cluster', () => {
  it('node ls on the manager shows the three hosts Ready, each advertising its bridge address', async () => {
    const c = cluster!;
    const rows = await c.nodeStates(c.leader);
    expect([...rows.values()].map((r) => [r.name, r.status]).sort()).toEqual([['h1', 'Ready'], ['h2', 'Ready'], ['h3', 'Ready']]);
    expect(rows.get(c.leader.nodeId)?.managerStatus).toBe('Leader');
    for (const node of c.nodes) expect(await c.ok(node, 'info')).toContain(`Node Address: ${node.addr}`);
  });

  it('a worker runs its containers in its own host engine', async () => {
    const c = cluster!;
    const worker = c.nodes[1]!;
    const ps = await worker.host.exec(['docker', 'ps', '--format', '{{.ID}}']);
    expect(ps.stdout.trim()).toBe('');
    expect(await c.ok(c.leader, 'service', 'create', '--replicas', '3', '--name', 'hc', 'flotilla/busybox:latest', 'sleep', '1000')).toContain('verify: Service converged');
    for (const node of c.nodes) {
      const mine = await node.host.exec(['docker', 'ps', '--filter', 'label=io.flotilla.service.name=hc', '--format', '{{.ID}}']);
      expect(mine.stdout.trim().split('\n').filter(Boolean)).toHaveLength(1);
    }
  });

  it('parses node ls rows with and without the self marker and manager status', () => {
    const rows = parseNodeLs(
      'ID                          HOSTNAME  STATUS  AVAILABILITY  MANAGER STATUS  ENGINE VERSION\n' +
        'aaa *                       h1        Ready   Active        Leader          20.10.24\n' +
        'bbb                         h2        Down    Active                        20.10.24\n',
    );
    expect(rows.get('aaa')).toEqual({ name: 'h1', status: 'Ready', availability: 'Active', managerStatus: 'Leader' });
    expect(rows.get('bbb')).toEqual({ name: 'h2', status: 'Down', availability: 'Active', managerStatus: '' });
  });
});
