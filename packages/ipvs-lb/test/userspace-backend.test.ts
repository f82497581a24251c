import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UserspaceBackend, type Vip } from '../src/index.js';

// Real TCP and UDP on 127.0.0.1 ephemeral ports; the "VIP" is 127.0.0.1 on a free port.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'tcp') {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const u = dgram.createSocket('udp4');
  await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
  const port = u.address().port;
  await new Promise<void>((r) => u.close(() => r()));
  return port;
}

async function tcpNamed(name: string): Promise<number> {
  const server = net.createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

async function udpNamed(name: string): Promise<number> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => sock.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
  return sock.address().port;
}

function tcpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.on('data', (d) => (data += d.toString()));
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
}

/** One datagram from a fresh client socket (a new UDP session each time). */
function udpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      c.close();
      reject(new Error('no UDP reply'));
    }, 5000);
    c.on('message', (m) => {
      clearTimeout(timer);
      c.close();
      resolve(m.toString());
    });
    c.send(text, port, '127.0.0.1');
  });
}

describe('userspace back end', () => {
  it('balances TCP over the list and follows a new one', async () => {
    const lb = new UserspaceBackend();
    cleanups.push(() => lb.close());
    const vip: Vip = { addr: '127.0.0.1', port: await freePort('tcp'), protocol: 'tcp' };
    const a = await tcpNamed('a');
    const b = await tcpNamed('b');
    await lb.ensureService(vip, [{ addr: '127.0.0.1', port: a }, { addr: '127.0.0.1', port: b }]);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await tcpGet(vip.port));
    expect(new Set(got)).toEqual(new Set(['a', 'b']));
    await lb.ensureService(vip, [{ addr: '127.0.0.1', port: b }]);
    expect([await tcpGet(vip.port), await tcpGet(vip.port)]).toEqual(['b', 'b']);
    await lb.removeService(vip);
    await expect(tcpGet(vip.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('balances UDP clients over the list and replies reach the client', async () => {
    const lb = new UserspaceBackend();
    cleanups.push(() => lb.close());
    const vip: Vip = { addr: '127.0.0.1', port: await freePort('udp'), protocol: 'udp' };
    const a = await udpNamed('a');
    const b = await udpNamed('b');
    await lb.ensureService(vip, [{ addr: '127.0.0.1', port: a }, { addr: '127.0.0.1', port: b }]);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await udpAsk(vip.port, `q${i}`));
    expect(new Set(got.map((g) => g.split(':')[0]))).toEqual(new Set(['a', 'b']));
    expect(got.map((g) => g.split(':')[1])).toEqual(['q0', 'q1', 'q2', 'q3']);
    await lb.ensureService(vip, [{ addr: '127.0.0.1', port: a }]);
    expect([await udpAsk(vip.port, 'x'), await udpAsk(vip.port, 'y')]).toEqual(['a:x', 'a:y']);
  });

  it('refuses bad input without listening', async () => {
    const lb = new UserspaceBackend();
    cleanups.push(() => lb.close());
    await expect(lb.ensureService({ addr: '127.0.0.1', port: 70000, protocol: 'tcp' }, [])).rejects.toThrow(/port 70000/);
    await expect(lb.ensureService({ addr: '127.0.0.1', port: 5, protocol: 'sctp' as 'tcp' }, [])).rejects.toThrow(/not tcp or udp/);
  });
});
