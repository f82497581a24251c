// Real nats-server on an ephemeral loopback port, mutual TLS only.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, BusConnectError, type NatsServerSupervisor } from '../../src/index.js';
import { makeTestPki, probeTls, startSupervised, tempDir, tlsOf, type TempDir, type TestPki } from '../support/fixtures.js';

describe('mutual TLS on the client port', () => {
  let dir: TempDir;
  let pki: TestPki;
  let otherPki: TestPki;
  let nats: NatsServerSupervisor;

  beforeAll(async () => {
    dir = await tempDir();
    pki = await makeTestPki(join(dir.path, 'pki'), {
      clients: [
        { name: 'mgr', cn: 'm1', ou: 'flotilla-manager', o: 'c1' },
        { name: 'stranger', cn: 'x9', ou: 'flotilla-worker', o: 'c1' },
      ],
    });
    // Same subject as the admitted manager, but signed by another CA.
    otherPki = await makeTestPki(join(dir.path, 'other'), { clients: [{ name: 'mgr', cn: 'm1', ou: 'flotilla-manager', o: 'c1' }] });
    nats = await startSupervised(pki, join(dir.path, 'nats'), [{ user: pki.clients.mgr!.dn }]);
  });

  afterAll(async () => {
    await nats?.stop();
    await dir?.cleanup();
  });

  it('admits a client certificate of the CA that is mapped to a user', async () => {
    expect(await probeTls(nats.clientPort, tlsOf(pki, pki.clients.mgr!))).toEqual({ ok: true });
    const bus = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.mgr!) });
    try {
      expect(bus.nc.isClosed()).toBe(false);
      await bus.nc.flush();
      // The server mapped the certificate subject to the configured user.
      expect(bus.nc.info?.tls_required).toBe(true);
    } finally {
      await bus.close();
    }
    expect(bus.nc.isClosed()).toBe(true);
  });

  it('refuses a client without a certificate', async () => {
    const r = await probeTls(nats.clientPort, { ca: pki.ca.cert });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.reason).toMatch(/certificate/i);
  });

  it('refuses a client certificate from another CA', async () => {
    const r = await probeTls(nats.clientPort, { ca: pki.ca.cert, cert: otherPki.clients.mgr!.cert, key: otherPki.clients.mgr!.key });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.reason).toMatch(/certificate/i);
  });

  it('refuses a certificate of the CA whose subject is no configured user', async () => {
    const r = await probeTls(nats.clientPort, tlsOf(pki, pki.clients.stranger!));
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/Authorization Violation/) });
    await expect(connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.stranger!) })).rejects.toThrow(BusConnectError);
  });

  it('refuses to connect without PEM material, before touching the network', async () => {
    await expect(connectBus({ servers: [nats.url], tls: { ca: pki.ca.cert, cert: '', key: '' } })).rejects.toThrow(
      'tls.cert is not a PEM string',
    );
  });
});
