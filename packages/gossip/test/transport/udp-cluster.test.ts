import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { GossipNode, Keyring, newGossipKey, type SwimConfig } from '../../src/index.js';

// Real UDP and TCP sockets on 127.0.0.1 with ephemeral ports; timing shortened so that
// failure detection takes about a second instead of memberlist's LAN ten.
const FAST: Partial<SwimConfig> = {
  probeIntervalMs: 200,
  probeTimeoutMs: 80,
  gossipIntervalMs: 40,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 3,
  pushPullIntervalMs: 2000,
  reconnectIntervalMs: 1000,
};

const nodes: GossipNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function startNode(id: string, keyring: Keyring): Promise<GossipNode> {
  const node = await GossipNode.start({ id, host: '127.0.0.1', port: 0, keyring, config: FAST });
  nodes.push(node);
  return node;
}

async function startCluster(size: number, key = newGossipKey()): Promise<GossipNode[]> {
  const members: GossipNode[] = [];
  for (let i = 0; i < size; i++) {
    const node = await startNode(`node-${i}`, new Keyring(key));
    if (i > 0) node.join([members[0]!.addr]);
    members.push(node);
  }
  await waitFor(() => members.every((n) => n.members().filter((m) => m.state === 'alive').length === size), { what: `${size} members to see each other alive` });
  return members;
}

describe('gossip over real UDP/TCP on loopback', () => {
  it('members form a cluster through one seed', async () => {
    const members = await startCluster(5);
    for (const node of members) {
      expect(node.members().map((m) => m.id).sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
      expect(node.refusedCount('bad-key')).toBe(0);
    }
  });

  it('a stopped member is declared dead by the others', async () => {
    const members = await startCluster(4);
    await members[3]!.stop();
    const others = members.slice(0, 3);
    await waitFor(() => others.every((n) => n.member('node-3')?.state === 'dead'), { what: 'node-3 to be declared dead by every other member' });
    expect(others.every((n) => n.members().filter((m) => m.state === 'alive').length === 3)).toBe(true);
  });

  it('a member with a stale key is refused: its packets are dropped and counted', async () => {
    const members = await startCluster(3);
    const stale = await startNode('stale', new Keyring(newGossipKey()));
    stale.join([members[0]!.addr, members[1]!.addr]);
    await waitFor(() => members[0]!.refusedCount('bad-key') > 0 && members[1]!.refusedCount('bad-key') > 0, { what: 'the seeds to drop the stale member\'s join' });
    // Its probes get nowhere either: the cluster never hears of it, and it never hears of them.
    for (const node of members) expect(node.member('stale')).toBeUndefined();
    expect(stale.members().map((m) => m.id)).toEqual(['stale']);
  });

  it('rotating the key on every member, one by one, under traffic loses no message', async () => {
    const oldKey = newGossipKey();
    const newKey = newGossipKey();
    const rings = [0, 1, 2, 3].map(() => new Keyring(oldKey));
    const members: GossipNode[] = [];
    for (let i = 0; i < rings.length; i++) {
      const node = await startNode(`node-${i}`, rings[i]!);
      if (i > 0) node.join([members[0]!.addr]);
      members.push(node);
    }
    await waitFor(() => members.every((n) => n.members().filter((m) => m.state === 'alive').length === 4), { what: 'the cluster to form' });

    const received = members.map(() => new Set<string>());
    members.forEach((node, i) => node.onEvent((e) => { if (e.type === 'user') received[i]!.add(Buffer.from(e.payload).toString()); }));
    const sent: { from: number; text: string }[] = [];
    let sending = true;
    const traffic = (async () => {
      for (let round = 0; sending && round < 500; round++) {
        members.forEach((node, i) => {
          const text = `m-${i}-${round}`;
          node.broadcast(Buffer.from(text));
          sent.push({ from: i, text });
        });
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const afterMore = async (what: string) => {
      const mark = sent.length;
      await waitFor(() => sent.length >= mark + 8, { what: `more traffic ${what}` });
    };

    // The managers' three steps: everyone learns the new key, then seals with it, then forgets the old one.
    for (const ring of rings) { ring.install(oldKey, [newKey]); await afterMore('after accepting the new key'); }
    for (const ring of rings) { ring.install(newKey, [oldKey]); await afterMore('after sealing with the new key'); }
    for (const ring of rings) { ring.install(newKey); await afterMore('after dropping the old key'); }
    sending = false;
    await traffic;

    await waitFor(() => members.every((_, i) => sent.every((s) => s.from === i || received[i]!.has(s.text))), {
      what: 'every broadcast to reach every other member',
      timeoutMs: 15_000,
    });
    expect(sent.length).toBeGreaterThan(4 * 8 * 3);
    expect(members.map((n) => n.refusedCount('bad-key'))).toEqual([0, 0, 0, 0]);
  });

  it('why three steps: a member sealing with a key the others do not hold yet is dropped', async () => {
    const oldKey = newGossipKey();
    const rings = [new Keyring(oldKey), new Keyring(oldKey), new Keyring(oldKey)];
    const members = [] as GossipNode[];
    for (let i = 0; i < rings.length; i++) {
      const node = await startNode(`node-${i}`, rings[i]!);
      if (i > 0) node.join([members[0]!.addr]);
      members.push(node);
    }
    await waitFor(() => members.every((n) => n.members().filter((m) => m.state === 'alive').length === 3), { what: 'the cluster to form' });
    rings[0]!.install(newGossipKey(), [oldKey]); // one step: seals with a key nobody else has
    await waitFor(() => members[1]!.refusedCount('bad-key') > 0 && members[2]!.refusedCount('bad-key') > 0, { what: 'the others to drop node-0\'s packets' });
  });

  it('a member that leaves is seen as left, not dead', async () => {
    const members = await startCluster(3);
    await members[2]!.leave();
    await waitFor(() => members[0]!.member('node-2')?.state === 'left' && members[1]!.member('node-2')?.state === 'left', { what: 'node-2 to be seen as left' });
  });
});
