// Real TCP/UDP sockets on loopback, ephemeral ports: what a stranger can make the gossip port
// hold before anything is authenticated. Client sockets bind source addresses 127.13.0.x (any
// 127/8 address is local) so the per-source caps can be told apart from the total cap.
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { formatAddr, GossipSockets, parseAddr, type SocketRefusal, type StreamLimits } from '../../src/index.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

interface Harness {
  sockets: GossipSockets;
  port: number;
  refused: { cause: SocketRefusal; from: string }[];
  inbound: { from: string; bytes: Buffer; reliable: boolean }[];
}

async function bind(limits: Partial<StreamLimits>, members: readonly string[] = []): Promise<Harness> {
  const refused: Harness['refused'] = [];
  const inbound: Harness['inbound'] = [];
  const sockets = await GossipSockets.bind('127.0.0.1', 0, (host, port, bytes, reliable) => inbound.push({ from: formatAddr(host, port), bytes, reliable }), () => undefined, {
    limits,
    onRefused: (cause, from) => refused.push({ cause, from }),
    isMember: (host) => members.includes(host),
  });
  open.push(sockets);
  return { sockets, port: parseAddr(sockets.addr).port, refused, inbound };
}

function header(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length);
  return h;
}

interface Client {
  socket: net.Socket;
  closed: Promise<void>;
  isClosed(): boolean;
}

async function connect(port: number, localAddress: string): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => undefined);
  let closed = false;
  const done = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve(); }));
  open.push({ close: () => socket.destroy() });
  await once(socket, 'connect');
  return { socket, closed: done, isClosed: () => closed };
}

const LIMITS: Partial<StreamLimits> = { maxFrameBytes: 800, streamDeadlineMs: 10_000, maxStreamsPerSource: 2, maxStreams: 3, maxBufferedBytes: 1000 };

describe('gossip TCP: nothing held before it is authenticated beyond the caps', () => {
  it('a length prefix over the cap closes the stream at once, before any body is read', async () => {
    const h = await bind(LIMITS);
    const c = await connect(h.port, '127.13.0.1');
    c.socket.write(header(0xffffffff));
    await c.closed;
    expect(h.refused).toEqual([{ cause: 'frame-oversize', from: '127.13.0.1' }]);
    expect(h.sockets.inbound).toEqual({ streams: 0, bufferedBytes: 0 });
    expect(h.inbound).toEqual([]);
  });

  it('a stream has an absolute deadline: trickling bytes does not keep it open', async () => {
    const h = await bind({ ...LIMITS, streamDeadlineMs: 400 });
    const c = await connect(h.port, '127.13.0.1');
    c.socket.write(header(700));
    let sent = 0;
    // A byte every 20 ms: an idle timer longer than that would never fire.
    const trickle = setInterval(() => {
      if (!c.isClosed()) c.socket.write(Buffer.from([sent++ & 0xff]));
    }, 20);
    try {
      await c.closed;
    } finally {
      clearInterval(trickle);
    }
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(700);
    expect(h.refused).toEqual([{ cause: 'frame-deadline', from: '127.13.0.1' }]);
    expect(h.sockets.inbound).toEqual({ streams: 0, bufferedBytes: 0 });
  });

  it('caps the streams of one address and of everyone; places come back when streams close', async () => {
    const h = await bind(LIMITS);
    const a1 = await connect(h.port, '127.13.0.1');
    const a2 = await connect(h.port, '127.13.0.1');
    await waitFor(() => h.sockets.inbound.streams === 2, { what: 'two streams from 127.13.0.1 admitted' });
    const a3 = await connect(h.port, '127.13.0.1');
    await a3.closed;
    const b1 = await connect(h.port, '127.13.0.2');
    await waitFor(() => h.sockets.inbound.streams === 3, { what: 'the stream from 127.13.0.2 admitted' });
    const c1 = await connect(h.port, '127.13.0.3');
    await c1.closed;
    expect(h.refused).toEqual([
      { cause: 'too-many-from-source', from: '127.13.0.1' },
      { cause: 'too-many-streams', from: '127.13.0.3' },
    ]);
    expect([a1, a2, b1].map((c) => c.isClosed())).toEqual([false, false, false]);
    for (const c of [a1, a2, b1]) c.socket.destroy();
    await waitFor(() => h.sockets.inbound.streams === 0, { what: 'the places to come back' });
    // Now 127.13.0.3 gets in and its frame is delivered.
    const c2 = await connect(h.port, '127.13.0.3');
    c2.socket.end(Buffer.concat([header(40), Buffer.alloc(40, 7)]));
    await c2.closed;
    expect(h.inbound).toEqual([{ from: expect.stringMatching(/^127\.13\.0\.3:\d+$/), bytes: Buffer.alloc(40, 7), reliable: true }]);
  });

  it("strangers holding every place and the whole byte budget do not keep a member's push/pull out", async () => {
    const member = '127.13.0.9';
    const h = await bind({ ...LIMITS, maxMemberStreams: 2 }, [member]);
    // Strangers from three addresses take all three places; one of them holds the byte budget.
    const strangers = [await connect(h.port, '127.13.0.1'), await connect(h.port, '127.13.0.2'), await connect(h.port, '127.13.0.3')];
    strangers[0]!.socket.write(Buffer.concat([header(800), Buffer.alloc(700, 1)]));
    await waitFor(() => h.sockets.inbound.streams === 3 && h.sockets.inbound.bufferedBytes >= 700, { what: 'the strangers to hold every place and 700 bytes' });
    const late = await connect(h.port, '127.13.0.4');
    await late.closed;
    // The member still gets in, and its 790-byte frame fits its own budget.
    const m = await connect(h.port, member);
    m.socket.end(Buffer.concat([header(790), Buffer.alloc(790, 9)]));
    await m.closed;
    expect(h.inbound).toEqual([{ from: expect.stringMatching(/^127\.13\.0\.9:\d+$/), bytes: Buffer.alloc(790, 9), reliable: true }]);
    expect(h.refused).toEqual([{ cause: 'too-many-streams', from: '127.13.0.4' }]);
    expect(strangers.map((c) => c.isClosed())).toEqual([false, false, false]);
  });

  it('all streams together hold at most maxBufferedBytes of unauthenticated body', async () => {
    const h = await bind(LIMITS);
    const a = await connect(h.port, '127.13.0.1');
    a.socket.write(Buffer.concat([header(800), Buffer.alloc(600, 1)]));
    await waitFor(() => h.sockets.inbound.bufferedBytes >= 600, { what: 'the first stream to hold 600 bytes' });
    const b = await connect(h.port, '127.13.0.2');
    b.socket.write(Buffer.concat([header(800), Buffer.alloc(600, 2)]));
    await b.closed;
    expect(h.refused).toEqual([{ cause: 'frame-busy', from: '127.13.0.2' }]);
    a.socket.end(Buffer.alloc(200, 1));
    await a.closed;
    expect(h.inbound.map((i) => i.bytes.length)).toEqual([800]);
    expect(h.sockets.inbound).toEqual({ streams: 0, bufferedBytes: 0 });
  });
});

describe('gossip UDP', () => {
  it('a datagram bigger than any of ours is dropped unopened; others are handed on', async () => {
    const h = await bind({ maxDatagramBytes: 8192 });
    const client = dgram.createSocket('udp4');
    open.push({ close: () => new Promise<void>((r) => client.close(() => r())) });
    client.send(Buffer.alloc(9000), h.port, '127.0.0.1');
    client.send(Buffer.alloc(100), h.port, '127.0.0.1');
    await waitFor(() => h.inbound.length === 1, { what: 'the small datagram' });
    await waitFor(() => h.refused.length === 1, { what: 'the big one refused' });
    expect(h.refused).toEqual([{ cause: 'datagram-oversize', from: '127.0.0.1' }]);
    expect(h.inbound[0]!.bytes.length).toBe(100);
  });
});
