import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { logLines, waitFor } from '@flotilla/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@flotilla/bus';
import { clientTables, EmbeddedDnsServer, embeddedDnsRefusalLog, planNode } from '../src/index.js';
import { overlay, service, state } from './helpers/network-state.js';

// A container on two networks sees the names of both, whichever gateway it asks; another
// container on one network only sees that network's names. Real UDP on loopback: the
// clients are told apart by source address (127.0.0.1 and 127.0.0.2).
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const LOCAL = { nodeId: 'n1', addr: '198.18.0.2' };
const netA = overlay('na', 'front', '198.19.1.0/24', '198.19.1.1', 4097, []);
const netB = overlay('nb', 'back', '198.19.2.0/24', '198.19.2.1', 4098, []);
const st = state(
  1,
  [netA, netB],
  [
    service('s-web', 'web', { vips: { na: '198.19.1.2/24' }, tasks: [{ id: 'tw', slot: 1, node: 'n1', nodeAddr: LOCAL.addr, addrs: { na: '198.19.1.3/24', nb: '198.19.2.3/24' } }] }),
    service('s-db', 'db', { vips: { nb: '198.19.2.2/24' }, tasks: [{ id: 'td', slot: 1, node: 'n2', nodeAddr: '198.18.0.3', addrs: { nb: '198.19.2.4/24' } }] }),
    service('s-both', 'both', { vips: { na: '198.19.1.9/24', nb: '198.19.2.9/24' }, tasks: [] }),
  ],
);

async function ask(server: number, from: string, name: string): Promise<string[] | number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, from, () => r()));
  try {
    const reply = await new Promise<Buffer>((resolve) => {
      sock.once('message', (m) => resolve(m));
      sock.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), server, '127.0.0.1');
    });
    const p = dnsPacket.decode(reply);
    const rcode = (p.flags ?? 0) & 0xf;
    return rcode !== 0 ? rcode : (p.answers ?? []).map((a) => String((a as { data: unknown }).data));
  } finally {
    sock.close();
  }
}

describe('names by client', () => {
  it('plans the tables of a container on several networks, the asked network first', () => {
    const plan = planNode(st, LOCAL);
    expect(plan.multiNetworkClients).toEqual([{ addrs: { na: '198.19.1.3', nb: '198.19.2.3' }, networkIds: ['na', 'nb'] }]);
    const onA = clientTables(plan, 'na').get('198.19.1.3')!;
    expect(onA.services.map((s) => [s.name, s.vip])).toEqual([
      ['both', '198.19.1.9'],
      ['web', '198.19.1.2'],
      ['db', '198.19.2.2'],
    ]);
    const onB = clientTables(plan, 'nb').get('198.19.2.3')!;
    expect(onB.services.find((s) => s.name === 'both')!.vip).toBe('198.19.2.9');
  });

  it('answers each client from its own table over real UDP', async () => {
    const plan = planNode(st, LOCAL);
    const front = plan.networks.find((n) => n.networkId === 'na')!;
    const server = new EmbeddedDnsServer({ host: '127.0.0.1', port: 0 });
    const port = await server.start();
    cleanups.push(() => server.close());
    // Stand-in: the container on both networks is 127.0.0.1, a container on front only is 127.0.0.2.
    const both = clientTables(plan, 'na').get('198.19.1.3')!;
    server.setTables(front.dns, new Map([['127.0.0.1', both]]));
    expect(await ask(port, '127.0.0.1', 'db')).toEqual(['198.19.2.2']);
    expect(await ask(port, '127.0.0.2', 'db')).toBe(3); // NXDOMAIN: db is not on front
    expect(await ask(port, '127.0.0.2', 'web')).toEqual(['198.19.1.2']);
    // A bad client table is refused and nothing changes.
    expect(() => server.setTables(front.dns, new Map([['127.0.0.1', { services: [{ name: 'bad name', endpointMode: 'dnsrr' as const, tasks: [] }] }]]))).toThrow(/single DNS label/);
    expect(await ask(port, '127.0.0.1', 'db')).toEqual(['198.19.2.2']);
  });

  it('answers only clients on its network: anyone else gets nothing, over UDP or TCP, and is counted', async () => {
    // Stand-in: the network is 127.0.0.0/31, so 127.0.0.1 is a container on it and 127.0.0.2 is
    // not (a container of another network, or a host routing to the gateway through this node).
    const server = new EmbeddedDnsServer({ host: '127.0.0.1', port: 0, clients: '127.0.0.0/31' });
    const port = await server.start();
    cleanups.push(() => server.close());
    server.setTable(planNode(st, LOCAL).networks.find((n) => n.networkId === 'na')!.dns);
    expect(await ask(port, '127.0.0.1', 'web')).toEqual(['198.19.1.2']);

    const outsider = dgram.createSocket('udp4');
    await new Promise<void>((r) => outsider.bind(0, '127.0.0.2', () => r()));
    cleanups.push(() => new Promise<void>((r) => outsider.close(() => r())));
    const replies: Buffer[] = [];
    outsider.on('message', (m) => replies.push(m));
    outsider.send(dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'web' }] }), port, '127.0.0.1');
    // Refused when it arrives, before any answer could be made.
    await waitFor(() => server.refused().find((r) => r.cause === 'not-on-network')?.count === 1, { what: 'the outsider\'s UDP query refused' });
    expect(replies).toEqual([]);

    const tcp = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    const got: Buffer[] = [];
    tcp.on('data', (d: Buffer) => got.push(d));
    tcp.on('error', () => undefined);
    tcp.on('connect', () => {
      const q = dnsPacket.encode({ type: 'query', id: 10, questions: [{ type: 'A', name: 'web' }] });
      const head = Buffer.alloc(2);
      head.writeUInt16BE(q.length);
      tcp.write(Buffer.concat([head, q]));
    });
    await new Promise((r) => tcp.once('close', r));
    expect(got).toEqual([]);
    expect(server.refused()).toEqual([{ cause: 'not-on-network', count: 2 }]);
    // The network's own container is still answered.
    expect(await ask(port, '127.0.0.1', 'web')).toEqual(['198.19.1.2']);
  });

  it("a node's servers share one refusal count and log: counts outlive a closed server, a flood over two networks is one line and a summary", async () => {
    const { destination, lines } = logLines();
    const refusals = embeddedDnsRefusalLog(createLogger({ component: 'test', nodeId: 'n1', destination }));
    const a = new EmbeddedDnsServer({ host: '127.0.0.1', port: 0, clients: '127.0.0.0/31', refusals });
    const b = new EmbeddedDnsServer({ host: '127.0.0.1', port: 0, clients: '127.0.0.0/31', refusals });
    const [portA, portB] = [await a.start(), await b.start()];
    cleanups.push(() => a.close());
    const outsider = dgram.createSocket('udp4');
    await new Promise<void>((r) => outsider.bind(0, '127.0.0.2', () => r()));
    cleanups.push(() => new Promise<void>((r) => outsider.close(() => r())));
    const query = dnsPacket.encode({ type: 'query', id: 11, questions: [{ type: 'A', name: 'web' }] });
    for (let i = 0; i < 20; i++) outsider.send(query, i % 2 === 0 ? portA : portB, '127.0.0.1');
    await waitFor(() => refusals.count('not-on-network') === 20, { what: '20 outside queries refused by the two servers' });
    // The network of b leaves the node: what b refused is still counted.
    await b.close();
    expect(refusals.counts()).toEqual([{ cause: 'not-on-network', count: 20 }]);
    refusals.stop();
    const dnsLines = lines.filter((l) => String(l.msg).startsWith('embedded DNS'));
    expect(dnsLines.map((l) => l.refused)).toEqual([1, 19]);
  });
});
