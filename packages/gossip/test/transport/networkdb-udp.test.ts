import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { NetworkDbMessage } from '@flotilla/api';
import { GossipNode, Keyring, NetworkDbGossip, newGossipKey, type SwimConfig } from '../../src/index.js';

// The network DB over real gossip on 127.0.0.1 (UDP + TCP, sealed), three members.
const FAST: Partial<SwimConfig> = { probeIntervalMs: 200, probeTimeoutMs: 80, gossipIntervalMs: 40, suspicionMult: 3, suspicionMaxTimeoutMult: 3, pushPullIntervalMs: 2000 };

const nodes: GossipNode[] = [];
const dbs: NetworkDbGossip[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) db.stop();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

describe('network DB over gossip', () => {
  it('endpoints and VTEPs reach the network\'s members, a late joiner catches up, a dead node\'s rows go', async () => {
    const key = newGossipKey();
    for (let i = 0; i < 3; i++) {
      const node = await GossipNode.start({ id: `node-${i}`, host: '127.0.0.1', port: 0, keyring: new Keyring(key), config: FAST });
      if (i > 0) node.join([nodes[0]!.addr]);
      nodes.push(node);
      dbs.push(new NetworkDbGossip(node));
    }
    await waitFor(() => nodes.every((n) => n.members().filter((m) => m.state === 'alive').length === 3), { what: 'the cluster to form' });
    const [a, b, c] = dbs as [NetworkDbGossip, NetworkDbGossip, NetworkDbGossip];

    a.joinNetwork('net-1');
    a.putVtep('net-1', '127.0.0.1');
    a.putEndpoint('net-1', { taskId: 'task-a1', serviceId: 'svc-1', serviceName: 'web', ip: '10.0.1.2', nodeId: '' });
    b.joinNetwork('net-1');
    b.putEndpoint('net-1', { taskId: 'task-b1', serviceId: 'svc-1', serviceName: 'web', ip: '10.0.1.3', nodeId: '' });
    const both = ['task-a1', 'task-b1'];
    await waitFor(() => [a, b].every((d) => JSON.stringify(d.db.endpoints('net-1').map((e) => e.taskId)) === JSON.stringify(both)), { what: 'a and b to see both endpoints' });
    expect(c.db.endpoints('net-1')).toEqual([]); // not in the network: keeps none of its rows
    // c hears of the group joins as gossip, which may reach it after a and b have both endpoints
    await waitFor(() => JSON.stringify(c.db.peers('net-1')) === JSON.stringify(['node-0', 'node-1']), { what: 'c to know the members of net-1' });

    c.joinNetwork('net-1'); // joins late: the others re-announce their rows
    await waitFor(() => c.db.endpoints('net-1').length === 2 && c.db.vteps('net-1').length === 1, { what: 'the late joiner to catch up' });
    expect(c.db.endpoints('net-1').map((e) => `${e.taskId}@${e.nodeId}`)).toEqual(['task-a1@node-0', 'task-b1@node-1']);

    await nodes[0]!.stop();
    await waitFor(() => [b, c].every((d) => d.db.endpoints('net-1').map((e) => e.taskId).join() === 'task-b1' && d.db.vteps('net-1').length === 0),
      { what: 'node-0\'s rows to go once it is declared dead' });
    expect(b.db.peers('net-1')).toEqual(['node-1', 'node-2']);
  });

  it('a node that restarts deletes the rows of its previous life and its new writes win over the old ones', async () => {
    const key = newGossipKey();
    const start = async (i: number, port = 0) => {
      const node = await GossipNode.start({ id: `node-${i}`, host: '127.0.0.1', port, keyring: new Keyring(key), config: FAST });
      if (i > 0) node.join([nodes[0]!.addr]);
      nodes.push(node);
      const db = new NetworkDbGossip(node, { clockFloor: Date.now });
      dbs.push(db);
      return { node, db };
    };
    const a = await start(0);
    const b = await start(1);
    await waitFor(() => [a, b].every(({ node }) => node.members().filter((m) => m.state === 'alive').length === 2), { what: 'the cluster to form' });
    const ep = (taskId: string, ip: string) => ({ taskId, serviceId: 'svc-1', serviceName: 'web', ip, nodeId: '' });
    a.db.joinNetwork('net-1');
    b.db.joinNetwork('net-1');
    b.db.putEndpoint('net-1', ep('task-b1', '10.0.1.3'));
    b.db.putEndpoint('net-1', ep('task-b2', '10.0.1.4'));
    await waitFor(() => a.db.db.endpoints('net-1').length === 2, { what: 'a to see both of b\'s endpoints' });

    // b crashes and comes back on the same address with an empty DB: task-b2 still runs, task-b1 ended meanwhile.
    const port = Number(b.node.addr.split(':')[1]);
    b.db.stop();
    await b.node.stop();
    await waitFor(() => a.db.db.endpoints('net-1').length === 0, { what: 'b\'s rows hidden once it is declared dead' });
    const b2 = await start(1, port);
    b2.db.joinNetwork('net-1');
    b2.db.putEndpoint('net-1', ep('task-b2', '10.0.1.4'));
    // a tells b its old rows; b deletes task-b1, which it did not write in this life.
    await waitFor(() => a.db.db.endpoints('net-1').map((e) => e.taskId).join() === 'task-b2' && b2.db.db.endpoints('net-1').map((e) => e.taskId).join() === 'task-b2', {
      what: 'the previous life\'s task-b1 deleted everywhere, task-b2 kept',
      timeoutMs: 20_000,
    });
    // A delete of the new life beats the old life's put of the same row.
    b2.db.deleteEndpoint('net-1', 'task-b2');
    await waitFor(() => a.db.db.endpoints('net-1').length === 0, { what: 'task-b2\'s delete to reach a' });
  });

  it('a local write is broadcast again after each echo delay (a member that missed it gets another chance)', async () => {
    const key = newGossipKey();
    const a = await GossipNode.start({ id: 'node-0', host: '127.0.0.1', port: 0, keyring: new Keyring(key), config: FAST });
    const b = await GossipNode.start({ id: 'node-1', host: '127.0.0.1', port: 0, keyring: new Keyring(key), config: FAST });
    nodes.push(a, b);
    b.join([a.addr]);
    await waitFor(() => [a, b].every((n) => n.members().filter((m) => m.state === 'alive').length === 2), { what: 'the cluster to form' });
    const dbA = new NetworkDbGossip(a, { echoDelaysMs: [200, 400] });
    const dbB = new NetworkDbGossip(b);
    dbs.push(dbA, dbB);
    dbB.joinNetwork('net-1');
    dbA.joinNetwork('net-1');
    await waitFor(() => dbB.db.peers('net-1').length === 2, { what: 'b to see a in the group' });
    let deliveries = 0;
    b.onEvent((e) => {
      if (e.type !== 'user' || e.topic !== 'networkdb') return;
      const m = NetworkDbMessage.decode(e.payload);
      if (m.kind?.$case === 'entry' && m.kind.value.key === 'task-a1' && m.kind.value.deleted) deliveries++;
    });
    dbA.putEndpoint('net-1', { taskId: 'task-a1', serviceId: 'svc-1', serviceName: 'web', ip: '10.0.1.2', nodeId: '' });
    dbA.deleteEndpoint('net-1', 'task-a1');
    await waitFor(() => deliveries >= 3, { what: 'the tombstone delivered three times (once and two echoes)' });
    expect(dbB.db.endpoints('net-1')).toEqual([]);
    expect(dbB.db.tombstones('net-1')).toBe(1);
  });
});
