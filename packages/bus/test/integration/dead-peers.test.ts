// A manager that vanishes without closing its sockets (frozen with SIGSTOP: no FIN, no RST, the
// way a host that lost power or its network looks) must be noticed in seconds, not in nats-server's
// and nats.js's default 2 minutes x 2 pings: by the other server (its route goes) and by a client
// connected to it (it moves to the other server). Real nats-server processes, real connectBus.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUS_CONNECT_TIMEOUT_MS, BUS_PING, clusterSubjects, connectBus, managerPermissions, NATS_LIMITS, NatsServerSupervisor, type BusConnection } from '../../src/index.js';
import { keySha256, makeTestPki, startSupervised, tempDir, tlsOf, waitFor, type TempDir, type TestPki } from '../support/fixtures.js';

const subjects = clusterSubjects('c1');

async function numRoutes(monitorPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/routez`);
  return ((await res.json()) as { num_routes: number }).num_routes;
}

describe('dead peers are noticed in seconds (ping settings on both sides)', () => {
  let dir: TempDir;
  let pki: TestPki;
  let a: NatsServerSupervisor;
  let b: NatsServerSupervisor;
  let client: BusConnection | undefined;
  let frozen: number | undefined;

  beforeAll(async () => {
    dir = await tempDir();
    pki = await makeTestPki(join(dir.path, 'pki'), { clients: [{ name: 'm', cn: 'm1', ou: 'flotilla-manager', o: 'c1' }] });
    const users = [{ user: pki.clients.m!.dn, permissions: managerPermissions(subjects) }];
    const pinned = [keySha256(pki.server.cert)];
    a = await startSupervised(pki, join(dir.path, 'a'), users, {
      serverName: 'a',
      monitor: { host: '127.0.0.1', port: 0 },
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [], pinnedKeys: pinned },
    });
    b = await startSupervised(pki, join(dir.path, 'b'), users, {
      serverName: 'b',
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [`nats-route://127.0.0.1:${a.clusterPort}`], pinnedKeys: pinned },
    });
    await waitFor(async () => (await numRoutes(a.monitorPort!)) === 1, { what: 'the route a <-> b', timeoutMs: 15_000 });
  }, 60_000);

  afterAll(async () => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    await client?.close();
    await b?.stop();
    await a?.stop();
    await dir?.cleanup();
  });

  it('a frozen server loses its route and its client moves to the other server', async () => {
    // Only b is named: the client learns a from the cluster (INFO connect_urls), as agents do.
    client = await connectBus({ servers: [b.url], tls: tlsOf(pki, pki.clients.m!), reconnectWaitMs: 50, reconnectJitterMs: 50, drainTimeoutMs: 500 });
    expect(client.nc.getServer()).toBe(`127.0.0.1:${b.clientPort}`);
    frozen = b.pid!;
    process.kill(frozen, 'SIGSTOP');
    // Defaults would take 4-6 minutes; the deadline is well below that and well above
    // interval x (max + 1), so a loaded machine does not make this flaky.
    const deadlineMs = 30_000;
    expect(NATS_LIMITS.pingIntervalSec * (NATS_LIMITS.pingMax + 1) * 1000).toBeLessThan(deadlineMs / 2);
    expect(BUS_PING.intervalMs * (BUS_PING.maxOutstanding + 1) + BUS_CONNECT_TIMEOUT_MS).toBeLessThan(deadlineMs / 2);
    await Promise.all([
      waitFor(async () => (await numRoutes(a.monitorPort!)) === 0, { what: "a to drop the frozen b's route", timeoutMs: deadlineMs }),
      waitFor(() => client!.nc.getServer() === `127.0.0.1:${a.clientPort}`, { what: 'the client to move to a', timeoutMs: deadlineMs }),
    ]);
    process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    await waitFor(async () => (await numRoutes(a.monitorPort!)) === 1, { what: 'the route back once b runs again', timeoutMs: 15_000 });
  }, 90_000);
});
