import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KernelMeshWithLoopback, UserspaceMesh, type MeshDesired } from '../src/index.js';

// Real sockets on loopback. The kernel mesh (iptables, tested with real packets in
// node-lb-netns.test.ts) is stood in for by a UserspaceMesh bound to 127.0.0.130: a real mesh
// on another local address, so what answers where is seen from outside.
const KERNEL_ADDR = '127.0.0.130';
const TASK_ADDR = '127.0.0.131';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverAnswering(name: string, host: string, port = 0): Promise<number> {
  const server = net.createServer((s) => s.end(name));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function fetchFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, host);
    let data = '';
    c.on('data', (d) => (data += d.toString()));
    c.on('end', () => resolve(data));
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`error:${e.code ?? e.message}`));
  });
}

function desired(published: number, targetPort: number): MeshDesired {
  return {
    ports: [{ serviceId: 's1', serviceName: 'web', protocol: 'tcp', publishedPort: published, targetPort, targets: [{ kind: 'local', taskId: 't1', addr: TASK_ADDR, port: targetPort }] }],
    peers: [],
  };
}

function meshes(): KernelMeshWithLoopback {
  const mesh = new KernelMeshWithLoopback(new UserspaceMesh({ host: KERNEL_ADDR }));
  cleanups.push(() => mesh.close());
  return mesh;
}

describe('KernelMeshWithLoopback', () => {
  it('answers a published TCP port on 127.0.0.1 with the same targets as the kernel mesh, and stops on close', async () => {
    const task = await serverAnswering('a', TASK_ADDR);
    const published = await freePort();
    const mesh = meshes();
    await mesh.apply(desired(published, task));
    expect(await fetchFrom('127.0.0.1', published)).toBe('a');
    expect(await fetchFrom(KERNEL_ADDR, published)).toBe('a');
    await mesh.close();
    expect(await fetchFrom('127.0.0.1', published)).toBe('error:ECONNREFUSED');
    expect(await fetchFrom(KERNEL_ADDR, published)).toBe('error:ECONNREFUSED');
  });

  it('a port already taken on 127.0.0.1 does not undo the kernel mesh', async () => {
    const task = await serverAnswering('a', TASK_ADDR);
    const published = await freePort();
    await serverAnswering('someone else', '127.0.0.1', published);
    const mesh = meshes();
    await mesh.apply(desired(published, task));
    expect(await fetchFrom(KERNEL_ADDR, published)).toBe('a');
    expect(await fetchFrom('127.0.0.1', published)).toBe('someone else');
  });

  it('a port taken on 127.0.0.1 does not keep the other published ports off loopback', async () => {
    const task = await serverAnswering('a', TASK_ADDR);
    const taken = await freePort();
    const other = await freePort();
    await serverAnswering('someone else', '127.0.0.1', taken);
    const mesh = meshes();
    const both = desired(taken, task);
    both.ports = [...both.ports, ...desired(other, task).ports.map((p) => ({ ...p, serviceId: 's2', serviceName: 'api' }))];
    await mesh.apply(both);
    expect(await fetchFrom('127.0.0.1', other)).toBe('a');
    expect(await fetchFrom('127.0.0.1', taken)).toBe('someone else');
  });

  it('stops answering on 127.0.0.1 a port no longer published', async () => {
    const task = await serverAnswering('a', TASK_ADDR);
    const published = await freePort();
    const mesh = meshes();
    await mesh.apply(desired(published, task));
    expect(await fetchFrom('127.0.0.1', published)).toBe('a');
    await mesh.apply({ ports: [], peers: [] });
    expect(await fetchFrom('127.0.0.1', published)).toBe('error:ECONNREFUSED');
  });
});
