// The nats-server supervisor against the real Debian nats-server binary.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { connect as netConnect, createServer, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Annotations, BusError_Code, Meta } from '@flotilla/api';
import {
  clusterSubjects,
  BusRequestError,
  connectBus,
  managerPermissions,
  NatsConfigError,
  NatsServerSupervisor,
  request,
  serve,
  type BusConnection,
} from '../../src/index.js';
import { capturingLogger, keySha256, makeTestPki, probeTls, serverTls, startSupervised, tempDir, tlsOf, waitFor, type TempDir, type TestPki } from '../support/fixtures.js';

const subjects = clusterSubjects('c1');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line mentions `text` (e.g. a config file path). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

describe('NatsServerSupervisor', () => {
  let dir: TempDir;
  let pki: TestPki;
  const cleanups: Array<() => Promise<void>> = [];
  let n = 0;
  const nextDir = (): string => join(dir.path, `nats-${n++}`);

  beforeAll(async () => {
    dir = await tempDir();
    pki = await makeTestPki(join(dir.path, 'pki'), {
      clients: [
        { name: 'a', cn: 'm1', ou: 'flotilla-manager', o: 'c1' },
        { name: 'b', cn: 'm2', ou: 'flotilla-manager', o: 'c1' },
        { name: 'late', cn: 'n7', ou: 'flotilla-worker', o: 'c1' },
      ],
    });
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    await dir?.cleanup();
  });

  async function supervise(users = [{ user: pki.clients.a!.dn, permissions: managerPermissions(subjects) }], extra = {}) {
    const sup = await startSupervised(pki, nextDir(), users, extra);
    cleanups.push(() => sup.stop());
    return sup;
  }

  async function connect(sup: NatsServerSupervisor, who: 'a' | 'b' | 'late'): Promise<BusConnection> {
    const bus = await connectBus({
      servers: [sup.url],
      tls: tlsOf(pki, pki.clients[who]!),
      inboxPrefix: subjects.node.inboxPrefix(who),
      reconnectWaitMs: 50,
      reconnectJitterMs: 50,
    });
    cleanups.push(() => bus.close());
    return bus;
  }

  it('starts on a free loopback port and writes a private config file', async () => {
    const sup = await supervise();
    expect(sup.isRunning).toBe(true);
    expect(sup.url).toBe(`tls://127.0.0.1:${sup.clientPort}`);
    expect(sup.clientPort).toBeGreaterThan(0);
    expect(alive(sup.pid!)).toBe(true);
    expect((await stat(sup.configFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(sup.configFile, 'utf8')).toContain(`port: ${sup.clientPort}`);
    expect(await probeTls(sup.clientPort, tlsOf(pki, pki.clients.a!))).toEqual({ ok: true });
  });

  it('serves HTTP monitoring on loopback only when asked', async () => {
    const plain = await supervise();
    expect(plain.monitorPort).toBeUndefined();
    const monitored = await supervise(undefined, { monitor: { host: '127.0.0.1', port: 0 } });
    const res = await fetch(`http://127.0.0.1:${monitored.monitorPort}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('stops the server with SIGTERM and can be stopped twice', async () => {
    const sup = await supervise();
    const pid = sup.pid!;
    await sup.stop();
    expect(alive(pid)).toBe(false);
    expect(sup.pid).toBeUndefined();
    expect(sup.isRunning).toBe(false);
    expect(await processesMentioning(sup.configFile)).toEqual([]);
    await sup.stop();
  });

  it('restarts a killed server on the same port, and clients reconnect', async () => {
    const users = [
      { user: pki.clients.a!.dn, permissions: managerPermissions(subjects) },
      { user: pki.clients.b!.dn, permissions: managerPermissions(subjects) },
    ];
    const sup = await supervise(users);
    const responder = await connect(sup, 'a');
    const caller = await connect(sup, 'b');
    const reconnects: string[] = [];
    void (async () => {
      for await (const s of caller.nc.status()) if (s.type === 'reconnect') reconnects.push(s.server);
    })();
    const served = serve(responder.nc, subjects.control.method('Ping'), Annotations, Meta, (req) => Meta.fromPartial({ version: req.name.length }));
    cleanups.push(() => served.stop());
    await responder.nc.flush();

    const firstPid = sup.pid!;
    const port = sup.clientPort;
    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => sup.isRunning && sup.pid !== undefined && sup.pid !== firstPid, { what: 'the supervisor to restart nats-server' });
    expect(sup.restarts).toBe(1);
    expect(sup.clientPort).toBe(port);
    expect(alive(firstPid)).toBe(false);

    await waitFor(() => reconnects.length > 0, { what: 'the caller to reconnect', timeoutMs: 15_000 });
    // The responder re-subscribes on its own reconnect; retry until it has.
    const res = await waitFor(
      () => request(caller.nc, subjects.control.method('Ping'), Annotations, Annotations.fromPartial({ name: 'abc' }), Meta, { timeoutMs: 1_000 }),
      { what: 'a request to succeed after the restart', timeoutMs: 15_000 },
    );
    expect(res.version).toBe(3);
  });

  it('connections log disconnect and reconnect, and close even when the server is gone', async () => {
    const sup = await supervise();
    const { logger, messages } = capturingLogger();
    const bus = await connectBus({
      servers: [sup.url],
      tls: tlsOf(pki, pki.clients.a!),
      reconnectWaitMs: 50,
      reconnectJitterMs: 50,
      drainTimeoutMs: 500,
      logger,
    });
    const firstPid = sup.pid!;
    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => messages.includes('disconnected from NATS server'), { what: 'the disconnect to be logged' });
    await waitFor(() => messages.includes('reconnected to NATS server'), { what: 'the reconnect to be logged', timeoutMs: 15_000 });

    await sup.stop();
    await waitFor(() => messages.filter((m) => m === 'disconnected from NATS server').length >= 2, { what: 'the second disconnect' });
    await bus.close();
    expect(bus.nc.isClosed()).toBe(true);
    expect(messages).toContain('NATS connection closed');
    const err = await request(bus.nc, 'flt.c1.x', Annotations, Annotations.create(), Meta, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusRequestError);
    expect(err).toMatchObject({ code: BusError_Code.UNAVAILABLE });
  });

  it('can be started again after stop', async () => {
    const sup = await supervise();
    const firstPid = sup.pid!;
    await sup.stop();
    await sup.start();
    expect(sup.isRunning).toBe(true);
    expect(sup.pid).not.toBe(firstPid);
    expect(await probeTls(sup.clientPort, tlsOf(pki, pki.clients.a!))).toEqual({ ok: true });
  });

  it('keeps restarting with backoff when killed again', async () => {
    const sup = await supervise(undefined, { restartInitialDelayMs: 20, restartMaxDelayMs: 200 });
    for (let i = 1; i <= 3; i++) {
      const pid = sup.pid!;
      process.kill(pid, 'SIGKILL');
      await waitFor(() => sup.isRunning && sup.pid !== pid, { what: `restart number ${i}` });
      expect(sup.restarts).toBe(i);
    }
  });

  it('does not restart a server that stop() ended, even during a restart delay', async () => {
    const sup = await supervise(undefined, { restartInitialDelayMs: 60_000 });
    const pid = sup.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !sup.isRunning, { what: 'the supervisor to notice the death' });
    await sup.stop();
    expect(sup.pid).toBeUndefined();
    expect(sup.restarts).toBe(0);
  });

  it('reload adds a user without restarting the server', async () => {
    const sup = await supervise();
    const pid = sup.pid!;
    const late = tlsOf(pki, pki.clients.late!);
    expect(await probeTls(sup.clientPort, late)).toEqual({ ok: false, reason: expect.stringMatching(/Authorization Violation/) });

    await sup.reload([...sup.users, { user: pki.clients.late!.dn, permissions: { publish: { allow: ['flt.c1.dispatcher.*.n7'] }, subscribe: { allow: [] } } }]);

    expect(sup.pid).toBe(pid);
    expect(sup.restarts).toBe(0);
    expect(await probeTls(sup.clientPort, late)).toEqual({ ok: true });
    expect(await readFile(sup.configFile, 'utf8')).toContain(pki.clients.late!.dn);
  });

  it('a client refused for a while (its user gone, then back) keeps reconnecting instead of giving up', async () => {
    // What a worker sees when a manager's nats-server restarts and loads its users from the store
    // a moment later: nats.js would abort for good after two refusals in a row.
    const withLate = [pki.clients.a!, pki.clients.late!].map((c) => ({ user: c.dn, permissions: managerPermissions(subjects) }));
    const sup = await supervise(withLate);
    const { logger, messages } = capturingLogger();
    const bus = await connectBus({ servers: [sup.url], tls: tlsOf(pki, pki.clients.late!), reconnectWaitMs: 50, reconnectJitterMs: 50, drainTimeoutMs: 500, logger });
    cleanups.push(() => bus.close());
    let refusals = 0;
    void (async () => {
      for await (const s of bus.nc.status()) if (s.type === 'error') refusals++;
    })();
    await sup.reload([withLate[0]!]);
    // Refused again and again (nats.js reports each attempt; our log says it once).
    await waitFor(() => refusals >= 4, { what: 'four refused reconnect attempts' });
    expect(messages.filter((m) => m.startsWith('NATS server refused this node'))).toHaveLength(1);
    expect(messages.filter((m) => m === 'disconnected from NATS server')).toHaveLength(1);
    await sup.reload(withLate);
    await waitFor(() => messages.includes('reconnected to NATS server'), { what: 'the client back once its user is', timeoutMs: 15_000 });
    expect(bus.nc.isClosed()).toBe(false);
  });

  it('reload refuses bad input and changes nothing', async () => {
    const sup = await supervise();
    const before = await readFile(sup.configFile, 'utf8');
    await expect(sup.reload([])).rejects.toThrow(NatsConfigError);
    await expect(sup.reload([{ user: 'CN=x' }, { user: 'CN=x' }])).rejects.toThrow('user "CN=x" is listed twice');
    expect(await readFile(sup.configFile, 'utf8')).toBe(before);
    expect(sup.users).toHaveLength(1);
    expect(await probeTls(sup.clientPort, tlsOf(pki, pki.clients.a!))).toEqual({ ok: true });
  });

  it('stop() during start() leaves no server behind', async () => {
    const sup = new NatsServerSupervisor({
      configDir: nextDir(),
      serverName: 'interrupted',
      host: '127.0.0.1',
      port: 0,
      tls: serverTls(pki),
      users: [{ user: pki.clients.a!.dn }],
    });
    const starting = sup.start();
    const outcome = starting.then(
      () => 'started',
      (err: Error) => err.message,
    );
    await sup.stop();
    expect(await outcome).toMatch(/stopped while starting/);
    expect(sup.isRunning).toBe(false);
    expect(sup.pid).toBeUndefined();
    expect(await processesMentioning(sup.configFile)).toEqual([]);
  });

  it('reload while the server is down is applied by the restart', async () => {
    const sup = await supervise(undefined, { restartInitialDelayMs: 60_000 });
    const pid = sup.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !sup.isRunning, { what: 'the supervisor to notice the death' });
    await sup.reload([...sup.users, { user: pki.clients.late!.dn }]);
    expect(await readFile(sup.configFile, 'utf8')).toContain(pki.clients.late!.dn);
    expect(sup.users).toHaveLength(2);
  });

  it('fails to start with a clear error when the binary is missing', async () => {
    const sup = new NatsServerSupervisor({
      configDir: nextDir(),
      serverName: 'nobin',
      host: '127.0.0.1',
      port: 0,
      tls: serverTls(pki),
      users: [{ user: 'CN=a' }],
      binary: join(dir.path, 'no-such-nats-server'),
    });
    await expect(sup.start()).rejects.toThrow(/starting nats-server nobin: .*could not be started: spawn .*no-such-nats-server ENOENT/);
    expect(sup.isRunning).toBe(false);
  });

  it('fails to start with the server output when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => blocker.close(() => r())));
    const port = (blocker.address() as { port: number }).port;
    const sup = new NatsServerSupervisor({
      configDir: nextDir(),
      serverName: 'busy',
      host: '127.0.0.1',
      port,
      tls: serverTls(pki),
      users: [{ user: 'CN=a' }],
    });
    await expect(sup.start()).rejects.toThrow(/exited with code 1; last output: .*address already in use/);
    expect(sup.pid).toBeUndefined();
  });

  it('forms a cluster over mutually authenticated routes', async () => {
    const users = [
      { user: pki.clients.a!.dn, permissions: managerPermissions(subjects) },
      { user: pki.clients.b!.dn, permissions: managerPermissions(subjects) },
    ];
    const { logger, messages: lines } = capturingLogger();
    const first = await supervise(users, {
      serverName: 'r1',
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [], pinnedKeys: [keySha256(pki.server.cert)] },
      logger,
    });
    const second = await supervise(users, {
      serverName: 'r2',
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [`nats-route://127.0.0.1:${first.clusterPort}`], pinnedKeys: [keySha256(pki.server.cert)] },
    });
    const onFirst = await connect(first, 'a');
    const onSecond = await connect(second, 'b');
    const served = serve(onFirst.nc, subjects.control.method('Where'), Annotations, Meta, () => Meta.fromPartial({ version: 1 }));
    cleanups.push(() => served.stop());
    await onFirst.nc.flush();
    const res = await waitFor(
      () => request(onSecond.nc, subjects.control.method('Where'), Annotations, Annotations.create(), Meta, { timeoutMs: 1_000 }),
      { what: 'a request across the route', timeoutMs: 15_000 },
    );
    expect(res.version).toBe(1);
    await waitFor(() => lines.some((l) => /Route connection created/.test(l)), { what: 'the route to be logged' });
  });

  it('refuses a route from a server whose certificate another CA signed', async () => {
    const other = await makeTestPki(join(dir.path, `other-${n}`), { clients: [{ name: 'a', cn: 'm1', ou: 'flotilla-manager', o: 'c1' }] });
    const { logger, messages: lines } = capturingLogger();
    const first = await supervise(undefined, {
      serverName: 'r1',
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [], pinnedKeys: [keySha256(pki.server.cert)] },
      logger,
    });
    // The intruder even pins the first server's key: the chain alone must fail it.
    const intruder = await startSupervised(other, nextDir(), [{ user: other.clients.a!.dn }], {
      serverName: 'intruder',
      cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [`nats-route://127.0.0.1:${first.clusterPort}`], pinnedKeys: [keySha256(other.server.cert), keySha256(pki.server.cert)] },
    });
    cleanups.push(() => intruder.stop());
    const refusal = await waitFor(() => lines.find((l) => /TLS route handshake error/.test(l)), {
      what: 'the first server to refuse the intruder route',
    });
    expect(refusal).toMatch(/certificate/);
    expect(lines.some((l) => /Route connection created/.test(l))).toBe(false);
  });

  it('refused connections are counted by cause and summed up, not forwarded one line each', async () => {
    const { logger, messages: lines } = capturingLogger();
    const sup = await supervise(undefined, { cluster: { name: 'flt-c1', host: '127.0.0.1', port: 0, routes: [], pinnedKeys: [keySha256(pki.server.cert)] }, logger });
    // A TLS client without a certificate: refused at the handshake.
    const noCert = (port: number) =>
      new Promise<void>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
        s.resume();
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    const garbage = (port: number) =>
      new Promise<void>((resolve) => {
        const s = netConnect({ host: '127.0.0.1', port });
        s.resume(); // read what the server says, so its close is seen
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('connect', () => s.write('GARBAGE\r\n'.repeat(40)));
      });
    for (let i = 0; i < 10; i++) await Promise.all([garbage(sup.clientPort), noCert(sup.clusterPort!)]);
    for (let i = 0; i < 3; i++) expect((await probeTls(sup.clientPort, { ca: pki.ca.cert })).ok).toBe(false);
    for (let i = 0; i < 3; i++) expect(await probeTls(sup.clientPort, { ca: pki.ca.cert, cert: pki.clients.late!.cert, key: pki.clients.late!.key })).toEqual({ ok: false, reason: "-ERR 'Authorization Violation'" });
    const count = (cause: string) => sup.refused().find((c) => c.cause === cause)?.count ?? 0;
    await waitFor(() => count('tls-handshake') === 13 && count('route-tls-handshake') === 10 && count('auth') === 3, { what: `the refusals counted (now ${JSON.stringify(sup.refused())})` });
    // The first of each cause at once; the rest in one summary, written at the end of the interval or at stop.
    const summed = (cause: string) => lines.filter((l) => l.startsWith('nats-server: refused') && l.includes(`cause=${cause}`));
    expect([summed('tls-handshake').length, summed('route-tls-handshake').length, summed('auth').length]).toEqual([1, 1, 1]);
    await sup.stop();
    expect(summed('tls-handshake')[1]).toMatch(/^nats-server: refused 12 connections in the last \d+ s \(cause=tls-handshake, from 1 address, e\.g\. 127\.0\.0\.1\)$/);
    expect(summed('route-tls-handshake')[1]).toMatch(/refused 9 connections .*cause=route-tls-handshake/);
    expect(summed('auth')[1]).toMatch(/refused 2 connections .*cause=auth/);
    // nats-server's own per-connection lines are not forwarded; the closes are summed up apart.
    expect(lines.filter((l) => /TLS (route )?handshake error|authentication error|connection closed/.test(l) && !l.startsWith('nats-server: '))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('nats-server: saw')).map((l) => /cause=([\w-]+)/.exec(l)![1])).toEqual(['closed-tls-handshake-failure', 'closed-tls-handshake-failure']);
    expect(lines.filter((l) => /refused|connection closed|handshake/i.test(l)).length).toBe(8);
  });

  it('kills the server when the owning process exits without stopping it', async () => {
    const script = fileURLToPath(new URL('../support/exit-child.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
    const { stdout } = await promisify(execFile)(tsx, [
      script,
      nextDir(),
      pki.ca.certFile,
      pki.server.certFile,
      pki.server.keyFile,
      pki.clients.a!.dn,
    ]);
    const pid = Number(stdout.trim());
    expect(pid).toBeGreaterThan(0);
    cleanups.push(async () => {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    await waitFor(() => !alive(pid), { what: `nats-server ${pid} to die with its parent` });
  });
});
