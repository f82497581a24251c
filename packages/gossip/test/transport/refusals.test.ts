// A GossipNode on real sockets fed what a stranger without the key can send: every refusal is
// counted by cause, and the log gets one line per cause and interval, not one per packet.
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@flotilla/bus';
import { logLines, waitFor } from '@flotilla/testkit';
import { fastLanConfig, GossipNode, Keyring, newGossipKey, parseAddr, sealPacket } from '../../src/index.js';

const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function header(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length);
  return h;
}

async function sendStream(port: number, bytes: Buffer): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.end(bytes);
  await once(socket, 'close');
}

describe('refusals of a gossip member', () => {
  it('are counted by cause and logged as summaries, not one line each', async () => {
    const { destination, lines } = logLines();
    const logger = createLogger({ component: 'test', nodeId: 'n1', destination });
    const node = await GossipNode.start({ id: 'n1', host: '127.0.0.1', port: 0, keyring: new Keyring(newGossipKey()), logger, refusalLogIntervalMs: 1000 });
    stops.push(() => node.stop());
    const { port } = parseAddr(node.addr);

    const udp = dgram.createSocket('udp4');
    stops.push(() => new Promise<void>((r) => udp.close(() => r())));
    // In batches that fit the socket's receive buffer, so none is lost before it is counted.
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 100; i++) udp.send(randomBytes(64 + ((batch * 100 + i) % 512)), port, '127.0.0.1');
      await waitFor(() => node.refusedCount('bad-key') >= (batch + 1) * 100, { what: `batch ${batch} of random datagrams refused` });
    }
    udp.send(Buffer.alloc(9000), port, '127.0.0.1');
    for (let i = 0; i < 20; i++) await sendStream(port, header(0x7fffffff));
    // A well-formed frame sealed with another cluster's key.
    const foreign = sealPacket(new Keyring(newGossipKey()), { from: 'x', fromAddr: '127.0.0.9:1', body: { $case: 'pushPull', value: { reply: false, join: true, members: [] } }, rumours: [] });
    await sendStream(port, Buffer.concat([header(foreign.length), foreign]));

    await waitFor(() => node.refusedCount('bad-key') === 2001 && node.refusedCount('frame-oversize') === 20 && node.refusedCount('datagram-oversize') === 1, {
      what: `every refusal counted (now ${JSON.stringify(node.refused())})`,
    });
    expect(node.refused()).toEqual([
      { cause: 'bad-key', count: 2001 },
      { cause: 'datagram-oversize', count: 1 },
      { cause: 'frame-oversize', count: 20 },
    ]);
    // Summaries of the rest arrive after the interval; then the lines account for every refusal.
    const refusalLines = () => lines.filter((l) => String(l.msg).startsWith('gossip: refused'));
    const logged = (cause: string) => refusalLines().filter((l) => l.cause === cause).reduce((n, l) => n + Number(l.refused), 0);
    await waitFor(() => logged('bad-key') === 2001 && logged('frame-oversize') === 20, { what: 'summary lines for every refusal' });
    const byCause = new Map<string, number>();
    for (const l of refusalLines()) byCause.set(String(l.cause), (byCause.get(String(l.cause)) ?? 0) + 1);
    // The first at once, the rest in one summary (two if the flood straddled an interval).
    for (const [cause, count] of byCause) expect(count, cause).toBeLessThanOrEqual(cause === 'datagram-oversize' ? 1 : 3);
    expect(refusalLines()[0]).toMatchObject({ component: 'gossip', nodeId: 'n1', level: 40 });
    expect(lines.length).toBeLessThan(20);
  });
});

describe("a gossip member's push/pull budget", () => {
  it('counts streams from the hosts of alive members apart from strangers', async () => {
    const key = newGossipKey();
    const config = fastLanConfig(100);
    const a = await GossipNode.start({ id: 'a', host: '127.0.0.1', port: 0, keyring: new Keyring(key), config });
    stops.push(() => a.stop());
    const b = await GossipNode.start({ id: 'b', host: '127.13.1.2', port: 0, keyring: new Keyring(key), config });
    let bStopped = false;
    stops.push(() => (bStopped ? undefined : b.stop()));
    expect(a.isMemberHost('127.13.1.2')).toBe(false);
    b.join([a.addr]);
    await waitFor(() => a.isMemberHost('127.13.1.2'), { what: 'b to be a member a counts apart' });
    expect(a.isMemberHost('127.13.1.3')).toBe(false);
    bStopped = true;
    await b.stop();
    await waitFor(() => !a.isMemberHost('127.13.1.2'), { what: 'b, dead or gone, to count as a stranger again' });
  });
});
