import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UserspaceTcpProxy } from '../src/index.js';

// Real TCP servers and a real proxy on 127.0.0.1 ephemeral ports.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function namedServer(name: string): Promise<number> {
  const server = net.createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

async function freePortThatRefuses(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function fetchName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    c.on('data', (d) => (data += d.toString()));
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
}

async function startProxy(): Promise<{ proxy: UserspaceTcpProxy; port: number }> {
  const proxy = new UserspaceTcpProxy();
  const port = await proxy.listen(0, '127.0.0.1');
  cleanups.push(() => proxy.close());
  return { proxy, port };
}

describe('UserspaceTcpProxy', () => {
  it('spreads connections over every backend', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    const { proxy, port } = await startProxy();
    proxy.setBackends([{ host: '127.0.0.1', port: a }, { host: '127.0.0.1', port: b }]);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) seen.push(await fetchName(port));
    expect(seen.filter((s) => s === 'a')).toHaveLength(5);
    expect(seen.filter((s) => s === 'b')).toHaveLength(5);
  });

  it('stops sending to a backend removed from the set', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    const { proxy, port } = await startProxy();
    proxy.setBackends([{ host: '127.0.0.1', port: a }, { host: '127.0.0.1', port: b }]);
    proxy.setBackends([{ host: '127.0.0.1', port: b }]);
    for (let i = 0; i < 5; i++) expect(await fetchName(port)).toBe('b');
  });

  it('retries a refusing backend on the others before failing the client', async () => {
    const dead = await freePortThatRefuses();
    const b = await namedServer('b');
    const { proxy, port } = await startProxy();
    proxy.setBackends([{ host: '127.0.0.1', port: dead }, { host: '127.0.0.1', port: b }]);
    for (let i = 0; i < 4; i++) expect(await fetchName(port)).toBe('b');
  });

  it('closes the client connection when no backend is left', async () => {
    const { proxy, port } = await startProxy();
    proxy.setBackends([]);
    expect(await fetchName(port).catch(() => '')).toBe('');
  });
});

describe('UserspaceTcpProxy for the routing mesh', () => {
  function fetchFrom(port: number, localAddress: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = net.connect({ port, host: '127.0.0.1', localAddress });
      let data = '';
      c.on('data', (d) => (data += d.toString()));
      c.on('end', () => resolve(data));
      c.on('error', reject);
    });
  }

  it('sends connections from peer nodes to the peers-only list, the others over every backend', async () => {
    const a = await namedServer('local');
    const b = await namedServer('remote');
    const { proxy, port } = await startProxy();
    // 127.0.0.2 stands for another node; 127.0.0.1 for an outside client.
    proxy.setBackends([{ host: '127.0.0.1', port: a }, { host: '127.0.0.1', port: b }], { peers: ['127.0.0.2'], backends: [{ host: '127.0.0.1', port: a }] });
    const fromPeer = new Set<string>();
    const fromClient = new Set<string>();
    for (let i = 0; i < 6; i++) {
      fromPeer.add(await fetchFrom(port, '127.0.0.2'));
      fromClient.add(await fetchFrom(port, '127.0.0.1'));
    }
    expect(fromPeer).toEqual(new Set(['local']));
    expect(fromClient).toEqual(new Set(['local', 'remote']));
  });
});
