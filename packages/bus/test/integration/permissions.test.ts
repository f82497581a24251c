// Per-user permissions of users mapped from client certificates, enforced by a
// real nats-server.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Annotations, BusError_Code, Meta } from '@flotilla/api';
import type { Msg } from '@nats-io/transport-node';
import {
  clusterSubjects,
  connectBus,
  managerPermissions,
  request,
  serve,
  workerPermissions,
  type BusConnection,
  type NatsServerSupervisor,
} from '../../src/index.js';
import { makeTestPki, startSupervised, tempDir, tlsOf, waitFor, type TempDir } from '../support/fixtures.js';

const subjects = clusterSubjects('c1');

describe('permissions follow the certificate', () => {
  let dir: TempDir;
  let nats: NatsServerSupervisor;
  let manager: BusConnection;
  let worker: BusConnection;
  const workerErrors: string[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    const pki = await makeTestPki(join(dir.path, 'pki'), {
      clients: [
        { name: 'mgr', cn: 'm1', ou: 'flotilla-manager', o: 'c1' },
        { name: 'n1', cn: 'n1', ou: 'flotilla-worker', o: 'c1' },
      ],
    });
    nats = await startSupervised(pki, join(dir.path, 'nats'), [
      { user: pki.clients.mgr!.dn, permissions: managerPermissions(subjects) },
      { user: pki.clients.n1!.dn, permissions: workerPermissions(subjects, 'n1') },
    ]);
    manager = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.mgr!), inboxPrefix: subjects.node.inboxPrefix('m1') });
    worker = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.n1!), inboxPrefix: subjects.node.inboxPrefix('n1') });
    void (async () => {
      for await (const s of worker.nc.status()) if (s.type === 'error') workerErrors.push(s.error.message);
    })();
  });

  afterAll(async () => {
    await worker?.close();
    await manager?.close();
    await nats?.stop();
    await dir?.cleanup();
  });

  it('a worker publishes to its own dispatcher subjects but not to the store or as another node', async () => {
    const seen: string[] = [];
    const sub = manager.nc.subscribe(subjects.all, { callback: (_e, m: Msg) => void seen.push(m.subject) });
    await manager.nc.flush();
    try {
      // Denied ones first: messages of one publisher arrive in order, so once
      // the allowed one is in, the denied ones would have been in before it.
      worker.nc.publish(subjects.store.propose, 'x');
      worker.nc.publish(subjects.dispatcher.heartbeat('n2'), 'x');
      worker.nc.publish(subjects.dispatcher.heartbeat('n1'), 'x');
      await worker.nc.flush();
      await waitFor(() => seen.includes(subjects.dispatcher.heartbeat('n1')), { what: 'the allowed heartbeat' });
      expect(seen).toEqual([subjects.dispatcher.heartbeat('n1')]);
      await waitFor(() => workerErrors.filter((e) => e.startsWith('Permissions Violation for Publish')).length >= 2, {
        what: 'the server to report both publish violations to the worker',
      });
      expect(workerErrors).toEqual(
        expect.arrayContaining([
          `Permissions Violation for Publish to "${subjects.store.propose}"`,
          `Permissions Violation for Publish to "${subjects.dispatcher.heartbeat('n2')}"`,
        ]),
      );
    } finally {
      sub.unsubscribe();
    }
  });

  it('a worker publishes log chunks under its own node id, never as another node', async () => {
    const seen: string[] = [];
    const sub = manager.nc.subscribe(subjects.all, { callback: (_e, m: Msg) => void seen.push(m.subject) });
    await manager.nc.flush();
    try {
      worker.nc.publish(subjects.logs.stream('n2', 's1'), 'forged');
      worker.nc.publish(subjects.logs.stream('n1', 's1'), 'line');
      await worker.nc.flush();
      await waitFor(() => seen.includes(subjects.logs.stream('n1', 's1')), { what: 'the allowed log chunk' });
      expect(seen).toEqual([subjects.logs.stream('n1', 's1')]);
      await waitFor(() => workerErrors.includes(`Permissions Violation for Publish to "${subjects.logs.stream('n2', 's1')}"`), {
        what: "the server to refuse the other node's log subject",
      });
    } finally {
      sub.unsubscribe();
    }
  });

  it('a worker can make requests to the dispatcher and get replies in its own inbox', async () => {
    const s = serve(manager.nc, subjects.dispatcher.heartbeatAny, Annotations, Meta, (req, ctx) =>
      Meta.fromPartial({ version: ctx.subject.endsWith('.n1') && req.name === 'hb' ? 1 : 0 }),
    );
    await manager.nc.flush();
    try {
      const res = await request(worker.nc, subjects.dispatcher.heartbeat('n1'), Annotations, Annotations.fromPartial({ name: 'hb' }), Meta, {
        timeoutMs: 5_000,
      });
      expect(res.version).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it('a worker receives its own assignments but cannot subscribe to another node or the store', async () => {
    const got: string[] = [];
    const refused: string[] = [];
    const record = (name: string) => (err: Error | null): void => void (err ? refused.push(`${name}: ${err.message}`) : got.push(name));
    worker.nc.subscribe(subjects.node.assignments('n2'), { callback: record('n2') });
    worker.nc.subscribe(subjects.store.events, { callback: record('store') });
    worker.nc.subscribe(subjects.node.assignments('n1'), { callback: record('n1') });
    await worker.nc.flush();
    manager.nc.publish(subjects.node.assignments('n2'), 'x');
    manager.nc.publish(subjects.store.events, 'x');
    manager.nc.publish(subjects.node.assignments('n1'), 'x');
    await manager.nc.flush();
    await waitFor(() => got.includes('n1'), { what: "the worker's own assignment" });
    expect(got).toEqual(['n1']);
    // The client hands the server's refusal to the subscription's callback.
    expect(refused.sort()).toEqual([
      `n2: Permissions Violation for Subscription to "${subjects.node.assignments('n2')}"`,
      `store: Permissions Violation for Subscription to "${subjects.store.events}"`,
    ]);
  });

  it('a request to a forbidden subject fails with PERMISSION_DENIED', async () => {
    const err = await request(worker.nc, subjects.store.list, Annotations, Annotations.create(), Meta, { timeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: BusError_Code.PERMISSION_DENIED,
      message: `request to ${subjects.store.list}: Permissions Violation for Publish to "${subjects.store.list}"`,
    });
  });
});
