// Route pinning with real nats-server 2.9 processes: a server accepts routes only from the public
// keys it pins (cluster.pinnedKeys), whatever else the CA signed, and a reload re-checks open
// routes. The rogue is a nats-server with a hand-written config, as an attacker holding another
// certificate of the same CA would start it: it copies the cluster name and pins nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSubjects, managerPermissions, NatsServerSupervisor, pickFreePort } from '../../src/index.js';
import { capturingLogger, keySha256, makeTestPki, startSupervised, tempDir, waitFor, type TempDir, type TestPki } from '../support/fixtures.js';
import type { CertFiles } from '../../../testkit/src/pki.js';

const subjects = clusterSubjects('c1');

interface Routez {
  num_routes: number;
  routes: Array<{ rid: number; remote_id: string }>;
}

async function routez(monitorPort: number): Promise<Routez> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/routez`);
  return (await res.json()) as Routez;
}

/** A nats-server started from a config an attacker writes: routes to `target`, pins nothing. */
async function startRogue(dir: string, pki: TestPki, cert: CertFiles, target: number): Promise<{ child: ChildProcess; monitorPort: number; stop(): Promise<void> }> {
  const monitorPort = await pickFreePort('127.0.0.1');
  const file = join(dir, 'rogue.conf');
  await writeFile(
    file,
    [
      'server_name: rogue',
      'listen: "127.0.0.1:-1"',
      `http: "127.0.0.1:${monitorPort}"`,
      'cluster {',
      '  name: "flt-c1"',
      '  listen: "127.0.0.1:-1"',
      `  routes: ["nats-route://127.0.0.1:${target}"]`,
      `  tls { cert_file: "${cert.certFile}", key_file: "${cert.keyFile}", ca_file: "${pki.ca.certFile}", verify: true, timeout: 2 }`,
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn('nats-server', ['-c', file], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => fetch(`http://127.0.0.1:${monitorPort}/healthz`).then((r) => r.ok, () => false), { what: 'the rogue nats-server to serve', timeoutMs: 10_000 });
  return {
    child,
    monitorPort,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('route pinning (real nats-server processes)', () => {
  let dir: TempDir;
  let pki: TestPki;
  let a: NatsServerSupervisor;
  let b: NatsServerSupervisor;
  let rogueCert: CertFiles;
  let rogue: Awaited<ReturnType<typeof startRogue>> | undefined;
  const aLog = capturingLogger();
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    dir = await tempDir();
    pki = await makeTestPki(join(dir.path, 'pki'), { clients: [{ name: 'm', cn: 'm1', ou: 'flotilla-manager', o: 'c1' }] });
    const certB = await pki.issueServer('server-b');
    rogueCert = await pki.issueServer('server-rogue');
    keyA = keySha256(pki.server.cert);
    keyB = keySha256(certB.cert);
    const users = [{ user: pki.clients.m!.dn, permissions: managerPermissions(subjects) }];
    a = await startSupervised(pki, join(dir.path, 'a'), users, {
      serverName: 'a',
      monitor: { host: '127.0.0.1', port: 0 },
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [], pinnedKeys: [keyA, keyB] },
      logger: aLog.logger,
    });
    b = new NatsServerSupervisor({
      configDir: join(dir.path, 'b'),
      serverName: 'b',
      host: '127.0.0.1',
      port: 0,
      tls: { caFile: pki.ca.certFile, certFile: certB.certFile, keyFile: certB.keyFile },
      users,
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [`nats-route://127.0.0.1:${a.clusterPort}`], pinnedKeys: [keyA, keyB] },
      stopGraceMs: 2_000,
    });
    await b.start();
    await waitFor(async () => (await routez(a.monitorPort!)).num_routes === 1, { what: 'the pinned route a <-> b', timeoutMs: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await rogue?.stop();
    await b?.stop();
    await a?.stop();
    await dir?.cleanup();
  });

  it('refuses a route from a valid certificate of the same CA whose key is not pinned; the route count does not change', async () => {
    const before = (await routez(a.monitorPort!)).routes.map((r) => r.rid);
    rogue = await startRogue(dir.path, pki, rogueCert, a.clusterPort!);
    await waitFor(() => aLog.messages.some((m) => /TLS route handshake error.*certificate not pinned/.test(m)), {
      what: 'a to refuse the rogue route as not pinned',
      timeoutMs: 15_000,
    });
    // The rogue retries every second; give it several tries, then count on both sides.
    // Counted by the supervisor (its log sums repeated refusals up: one line, then summaries).
    await waitFor(() => (a.refused().find((r) => r.cause === 'route-not-pinned')?.count ?? 0) >= 3, { what: 'three refused attempts', timeoutMs: 15_000 });
    expect((await routez(a.monitorPort!)).routes.map((r) => r.rid)).toEqual(before);
    expect((await routez(rogue.monitorPort)).num_routes).toBe(0);
  }, 60_000);

  it("the same rogue config routes in once its key is pinned (so the refusal was the pin), and unpinning drops it at once, without a restart, leaving b's route alone", async () => {
    const pid = a.pid;
    const bRoute = (await routez(a.monitorPort!)).routes.map((r) => r.rid);
    expect(bRoute).toHaveLength(1);
    await a.reload(a.users.slice(), [keyA, keyB, keySha256(rogueCert.cert)]);
    expect(a.pinnedKeys).toContain(keySha256(rogueCert.cert));
    await waitFor(async () => (await routez(a.monitorPort!)).num_routes === 2 && (await routez(rogue!.monitorPort)).num_routes >= 1, {
      what: 'the pinned rogue to route in',
      timeoutMs: 15_000,
    });
    await a.reload(a.users.slice(), [keyA, keyB]);
    await waitFor(async () => (await routez(a.monitorPort!)).num_routes === 1, { what: 'the unpinned rogue route to be dropped', timeoutMs: 5_000 });
    expect(a.pid).toBe(pid);
    // b's route is the very same connection: neither reload touched a route whose key stayed pinned.
    expect((await routez(a.monitorPort!)).routes.map((r) => r.rid)).toEqual(bRoute);
  }, 60_000);

  it('refuses bad pinned keys on reload and changes nothing', async () => {
    await expect(a.reload(a.users.slice(), [])).rejects.toThrow('cluster.pinnedKeys must name at least one key');
    await expect(a.reload(a.users.slice(), ['x'.repeat(64)])).rejects.toThrow('must be 64 lowercase hex characters');
    expect([...a.pinnedKeys].sort()).toEqual([keyA, keyB].sort());
    expect((await routez(a.monitorPort!)).num_routes).toBe(1);
  });
});
