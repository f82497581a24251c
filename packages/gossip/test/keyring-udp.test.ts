import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Keyring, newGossipKey } from '../src/index.js';

// Real UDP on loopback: what the gossip transport will do with every packet.
const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function udpPair() {
  const rx = dgram.createSocket('udp4');
  const tx = dgram.createSocket('udp4');
  sockets.push(rx, tx);
  rx.bind(0, '127.0.0.1');
  await once(rx, 'listening');
  return { rx, tx, port: (rx.address()).port };
}

async function sendAndReceive(sender: Keyring, receiver: Keyring, payload: string) {
  const { rx, tx, port } = await udpPair();
  const got = once(rx, 'message');
  tx.send(sender.seal(Buffer.from(payload)), port, '127.0.0.1');
  const [msg] = (await got) as [Buffer];
  return receiver.open(msg);
}

describe('gossip keyring over real UDP', () => {
  it('a receiver holding the same key opens the packet', async () => {
    const k = newGossipKey();
    const out = await sendAndReceive(new Keyring(k), new Keyring(k), 'alive node-1 incarnation 3');
    expect(out?.toString()).toBe('alive node-1 incarnation 3');
  });

  it('during rotation a receiver accepts packets sealed with the previous key', async () => {
    const oldKey = newGossipKey();
    const newKey = newGossipKey();
    const lagging = new Keyring(oldKey); // has not heard of the rotation yet
    const rotated = new Keyring(newKey, [oldKey]);
    expect((await sendAndReceive(lagging, rotated, 'from lagging'))?.toString()).toBe('from lagging');
    expect(rotated.dropped).toBe(0);
  });

  it('a node with a stale key is refused and the drop is counted', async () => {
    const stale = new Keyring(newGossipKey());
    const current = new Keyring(newGossipKey());
    expect(await sendAndReceive(stale, current, 'let me in')).toBeUndefined();
    expect(current.dropped).toBe(1);
  });

  it('a tampered packet is refused', () => {
    const k = newGossipKey();
    const ring = new Keyring(k);
    const packet = ring.seal(Buffer.from('suspect node-2'));
    packet[packet.length - 20]! ^= 0xff;
    expect(ring.open(packet)).toBeUndefined();
    expect(ring.open(Buffer.from([1, 2, 3]))).toBeUndefined();
    expect(ring.dropped).toBe(2);
  });

  it('packets sealed for another cluster (different associated data) do not open', () => {
    const k = newGossipKey();
    const a = new Keyring(k, [], Buffer.from('cluster-a'));
    const b = new Keyring(k, [], Buffer.from('cluster-b'));
    expect(b.open(a.seal(Buffer.from('x')))).toBeUndefined();
  });

  it('refuses keys of the wrong size', () => {
    expect(() => new Keyring(Buffer.alloc(16))).toThrow('must be 32 bytes');
  });
});
