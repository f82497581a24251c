// The managers' port before any certificate is checked: connection caps (total and per source
// address), the TLS handshake deadline and the largest request, on a real gRPC server over TLS.
import { connect, type Socket } from 'node:net';
import { waitFor } from '@flotilla/testkit';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchRootCaCertificate, joinCluster } from '../src/grpc/node-ca-client.js';
import { ConnectionGate } from '../src/grpc/listener-limits.js';
import { startNodeCaServer, type RunningNodeCaServer } from '../src/grpc/node-ca-server.js';
import { caFixture } from './helpers/ca-fixture.js';

describe('ConnectionGate (pure)', () => {
  it('caps connections in total and per source address, and gives slots back on close', () => {
    const gate = new ConnectionGate({ maxConnections: 3, maxConnectionsPerAddress: 2 });
    expect([gate.admit('a'), gate.admit('a'), gate.admit('a')]).toEqual([true, true, false]);
    expect([gate.admit('b'), gate.admit('c')]).toEqual([true, false]);
    expect(gate.open).toBe(3);
    expect(gate.refused).toBe(2);
    gate.release('a');
    expect(gate.admit('c')).toBe(true);
    gate.release('nobody');
    expect(gate.open).toBe(3);
  });
});

describe('limits of a real manager port', () => {
  const fixture = caFixture('cluster-limits');
  const joined: string[] = [];
  fixture.state.onNodeJoined = (e) => void joined.push(e.nodeId);
  let running: RunningNodeCaServer | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await running?.stop();
    running = undefined;
  });

  async function start(limits: Parameters<typeof startNodeCaServer>[0]['limits']): Promise<string> {
    running = await startNodeCaServer({ state: fixture.state, identity: fixture.managerIdentity, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), limits });
    return `127.0.0.1:${running.port}`;
  }

  /** A TCP connection that sends nothing (no TLS ClientHello), resolved once connected; `closed` when the server drops it. */
  function idle(addr: string): Promise<{ socket: Socket; closed: Promise<void> }> {
    const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      sockets.push(socket);
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.once('error', () => undefined);
      socket.once('connect', () => resolve({ socket, closed }));
      setTimeout(() => reject(new Error('no TCP connection')), 5_000).unref();
    });
  }

  it('closes connections over the per-address cap at once, and serves again once one closes', async () => {
    const addr = await start({ maxConnectionsPerAddress: 2 });
    const held = [await idle(addr), await idle(addr)];
    const third = await idle(addr);
    await third.closed;
    expect(running!.connections()).toEqual({ open: 2, refused: 1 });
    // Counted for info with the refused calls (summed up in the log, not a line each).
    expect(running!.refused()).toEqual([{ cause: 'too-many-connections', count: 1 }]);
    // A client from the same address is refused too while both slots are taken.
    await expect(fetchRootCaCertificate({ addr, timeoutMs: 2_000 })).rejects.toThrow();
    held[0]!.socket.destroy();
    await held[0]!.closed;
    expect(await fetchRootCaCertificate({ addr })).toBe(fixture.rootCa.certPem);
  });

  it('drops a connection that does not finish its TLS handshake within the deadline', async () => {
    const addr = await start({ tlsHandshakeTimeoutMs: 300 });
    const silent = await idle(addr);
    // Node's default would keep it 120 s; the wait below is far shorter than that.
    await Promise.race([silent.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('still open after 10 s')), 10_000))]);
    await waitFor(() => running!.connections().open === 0, { what: 'the server to release the slot' });
  });

  it('refuses a request larger than the cap before any handler sees it', async () => {
    const addr = await start({ maxReceiveMessageBytes: 64 * 1024 });
    const before = joined.length;
    await expect(joinCluster({ addr, token: fixture.tokens.worker, addresses: ['a'.repeat(100 * 1024)] })).rejects.toThrow(/larger than max|RESOURCE_EXHAUSTED|exceeds/i);
    expect(joined.length).toBe(before);
    expect((await joinCluster({ addr, token: fixture.tokens.worker })).nodeId).toMatch(/^[0-9a-z]{25}$/);
  });
});
