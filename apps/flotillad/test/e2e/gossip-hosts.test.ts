// Gossip in flotillad across test hosts: three real daemons, each in its own network namespace
// with its own Docker Engine, gossiping over real UDP/TCP on <host addr>:7946 with the keyring
// the leader keeps in the store. A crashed host is declared dead by the others' gossip and the
// dispatcher marks it Down at once, long before the heartbeat grace (5 s × 3) would. Nothing is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostCluster, type ClusterNode, type HostCluster } from '../helpers/host-cluster.js';
import { waitFor } from '../helpers/wait.js';

const LONG = 120_000;
let c: HostCluster | undefined;

interface LogLine {
  msg?: string;
  memberId?: string;
  component?: string;
  reason?: string;
}

/** The daemon's pino JSON lines (its own output; nothing is inferred). */
function logLines(node: ClusterNode): LogLine[] {
  return c!
    .log(node)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

const sawMember = (node: ClusterNode, event: string, memberId: string) => logLines(node).some((l) => l.msg === `gossip: member ${event}` && l.memberId === memberId);

async function nodeJson(from: ClusterNode, ref: string): Promise<{ status?: { state?: string; message?: string } }> {
  return (JSON.parse(await c!.ok(from, 'node', 'inspect', ref)) as { status?: { state?: string; message?: string } }[])[0]!;
}

beforeAll(async () => {
  c = await startHostCluster({ count: 3 });
}, LONG * 2);

afterAll(async () => {
  await c?.destroy();
}, LONG);

describe('gossip between test hosts', () => {
  it('every node gets the keyring from the leader and gossips with the two others', async () => {
    for (const node of c!.nodes) {
      await waitFor(`${node.name} to install the gossip keyring`, () => (logLines(node).some((l) => l.msg === 'gossip keyring installed') ? true : undefined), LONG);
      for (const other of c!.nodes.filter((n) => n !== node)) {
        await waitFor(`${node.name} to see ${other.name} join by gossip`, () => (sawMember(node, 'join', other.nodeId) ? true : undefined), LONG);
      }
    }
  });

  it('a crashed host is seen dead by the others and marked Down by gossip, not by the heartbeat grace', async () => {
    const [manager, survivor, victim] = c!.nodes as [ClusterNode, ClusterNode, ClusterNode];
    await c!.kill(victim);
    for (const node of [manager, survivor]) {
      await waitFor(`${node.name} to see ${victim.name} dead`, () => (sawMember(node, 'dead', victim.nodeId) ? true : undefined), LONG);
    }
    await c!.waitForStatus(manager, [victim], 'Down', LONG);
    const inspected = await nodeJson(manager, victim.nodeId);
    expect(inspected.status?.message).toBe('node declared dead by gossip');
    expect((await c!.nodeStates(manager)).get(survivor.nodeId)?.status).toBe('Ready');
  });

  it('the crashed host comes back: Ready again and alive in gossip', async () => {
    const [manager, , victim] = c!.nodes as [ClusterNode, ClusterNode, ClusterNode];
    const joinsBefore = logLines(manager).filter((l) => l.msg === 'gossip: member join' && l.memberId === victim.nodeId).length;
    await c!.revive(victim);
    await c!.waitForStatus(manager, [victim], 'Ready', LONG);
    await waitFor(`${manager.name} to see ${victim.name} join again`, () => (logLines(manager).filter((l) => l.msg === 'gossip: member join' && l.memberId === victim.nodeId).length > joinsBefore ? true : undefined), LONG);
  });
});
