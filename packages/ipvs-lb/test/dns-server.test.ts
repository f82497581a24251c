import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedDnsServer, type DnsTable } from '../src/index.js';

// Real UDP and TCP DNS on 127.0.0.1 ephemeral ports. The upstream resolver is a second tiny
// DNS server started here on loopback; nothing leaves the machine.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const table: DnsTable = {
  services: [
    { name: 'web', endpointMode: 'vip', vip: '198.19.0.5', tasks: [{ slot: 1, taskId: 'abc', addr: '10.0.1.3' }, { slot: 2, taskId: 'def', addr: '10.0.1.4' }] },
    { name: 'db', endpointMode: 'dnsrr', tasks: [{ slot: 1, taskId: 'x1', addr: '10.0.1.9' }, { slot: 2, taskId: 'x2', addr: '10.0.1.10' }] },
  ],
};

/** A stub upstream that knows one name and counts what it was asked. */
async function startUpstream(): Promise<{ port: number; asked: string[] }> {
  const asked: string[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    asked.push(name);
    const known = name === 'example.test';
    const out = dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags: known ? 0 : 3,
      questions: q.questions ?? [],
      answers: known ? [{ type: 'A', name, ttl: 60, data: '192.0.2.7' }] : [],
    });
    sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
  return { port: sock.address().port, asked };
}

async function startDns(upstreamPort?: number): Promise<{ server: EmbeddedDnsServer; port: number }> {
  const server = new EmbeddedDnsServer({
    host: '127.0.0.1',
    port: 0,
    forwardTimeoutMs: 500,
    ...(upstreamPort !== undefined ? { upstream: { host: '127.0.0.1', port: upstreamPort } } : {}),
  });
  server.setTable(table);
  const port = await server.start();
  cleanups.push(() => server.close());
  return { server, port };
}

let nextId = 1;
function queryUdp(port: number, name: string, type: 'A' | 'AAAA' = 'A', onRaw?: (raw: Buffer) => void): Promise<Packet> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer for ${name}`));
    }, 5000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      onRaw?.(msg);
      resolve(dnsPacket.decode(msg));
    });
    sock.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, '127.0.0.1');
  });
}

function queryTcp(port: number, name: string): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    sock.on('connect', () => sock.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ type: 'A', name }] })));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.destroy();
        resolve(dnsPacket.streamDecode(buf));
      }
    });
    sock.on('error', reject);
  });
}

const rcode = (p: Packet) => (p.flags ?? 0) & 0xf;
const addrs = (p: Packet) => (p.answers ?? []).map((a) => ('data' in a ? String(a.data) : '')).sort();

describe('embedded DNS server (real UDP/TCP on loopback)', () => {
  it('answers service, tasks.<service> and task names over UDP', async () => {
    const { port } = await startDns();
    expect(addrs(await queryUdp(port, 'web'))).toEqual(['198.19.0.5']);
    expect(addrs(await queryUdp(port, 'db'))).toEqual(['10.0.1.10', '10.0.1.9']);
    expect(addrs(await queryUdp(port, 'tasks.web'))).toEqual(['10.0.1.3', '10.0.1.4']);
    expect(addrs(await queryUdp(port, 'web.2.def'))).toEqual(['10.0.1.4']);
    const nx = await queryUdp(port, 'nosuch');
    expect(rcode(nx)).toBe(3);
    expect(nx.answers).toEqual([]);
  });

  it('forwards other names to the upstream and relays its answer, NXDOMAIN included', async () => {
    const upstream = await startUpstream();
    const { port } = await startDns(upstream.port);
    const ok = await queryUdp(port, 'example.test');
    expect(rcode(ok)).toBe(0);
    expect(addrs(ok)).toEqual(['192.0.2.7']);
    expect(rcode(await queryUdp(port, 'other.test'))).toBe(3);
    // Our own names never reach the upstream.
    await queryUdp(port, 'web');
    await queryUdp(port, 'nosuch');
    expect(upstream.asked).toEqual(['example.test', 'other.test']);
  });

  it('says SERVFAIL when the upstream does not answer', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    const { port } = await startDns(silent.address().port);
    expect(rcode(await queryUdp(port, 'example.test'))).toBe(2);
  });

  it('follows a new table and keeps the old one when the new one is bad', async () => {
    const { server, port } = await startDns();
    server.setTable({ services: [{ name: 'web', endpointMode: 'dnsrr', tasks: [{ slot: 1, taskId: 'abc', addr: '10.0.1.3' }] }] });
    expect(addrs(await queryUdp(port, 'web'))).toEqual(['10.0.1.3']);
    expect(rcode(await queryUdp(port, 'db'))).toBe(3);
    expect(() => server.setTable({ services: [{ name: 'web', endpointMode: 'vip', tasks: [] }] })).toThrow(/needs an IPv4 VIP/);
    expect(addrs(await queryUdp(port, 'web'))).toEqual(['10.0.1.3']);
  });

  it('answers over TCP on the same port', async () => {
    const upstream = await startUpstream();
    const { port } = await startDns(upstream.port);
    expect(addrs(await queryTcp(port, 'tasks.db'))).toEqual(['10.0.1.10', '10.0.1.9']);
    expect(addrs(await queryTcp(port, 'example.test'))).toEqual(['192.0.2.7']);
  });

  it('truncates a UDP answer that does not fit in 512 bytes (TC set) and gives all records over TCP', async () => {
    const { server, port } = await startDns();
    const tasks = Array.from({ length: 100 }, (_, i) => ({ slot: i + 1, taskId: `t${i}`, addr: `10.2.0.${i + 1}` }));
    server.setTable({ services: [{ name: 'big', endpointMode: 'dnsrr', tasks }] });
    let size = 0;
    const udp = await queryUdp(port, 'big', 'A', (raw) => (size = raw.length));
    expect(size).toBeLessThanOrEqual(512);
    expect((udp.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect(udp.answers!.length).toBeGreaterThan(0);
    expect(udp.answers!.length).toBeLessThan(100);
    const tcp = await queryTcp(port, 'big');
    expect((tcp.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE).toBeFalsy();
    expect(tcp.answers).toHaveLength(100);
  });
});
