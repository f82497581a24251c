// Issue 16: a service identity's permissions enforced by a real nats-server (users mapped from
// client certificates): a scheduler reaches only its own store subjects; a dispatcher hears the
// agents and pushes to nodes but cannot read Raft traffic or the full store.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Msg } from '@nats-io/transport-node';
import { clusterSubjects, connectBus, managerPermissions, servicePermissions, type BusConnection, type NatsServerSupervisor } from '../../src/index.js';
import { makeTestPki, startSupervised, tempDir, tlsOf, waitFor, type TempDir } from '../support/fixtures.js';

const subjects = clusterSubjects('c1');

describe('service identities on a real nats-server', () => {
  let dir: TempDir;
  let nats: NatsServerSupervisor;
  let manager: BusConnection;
  let scheduler: BusConnection;
  let dispatcher: BusConnection;
  const errors = new Map<string, string[]>();

  const watchErrors = (name: string, bus: BusConnection): void => {
    errors.set(name, []);
    void (async () => {
      for await (const st of bus.nc.status()) if (st.type === 'error') errors.get(name)!.push(st.error.message);
    })();
  };

  beforeAll(async () => {
    dir = await tempDir();
    const pki = await makeTestPki(join(dir.path, 'pki'), {
      clients: [
        { name: 'mgr', cn: 'm1', ou: 'flotilla-manager', o: 'c1' },
        { name: 'sch', cn: 'i1', ou: 'flotilla-service-scheduler', o: 'c1' },
        { name: 'dsp', cn: 'i2', ou: 'flotilla-service-dispatcher', o: 'c1' },
      ],
    });
    nats = await startSupervised(pki, join(dir.path, 'nats'), [
      { user: pki.clients.mgr!.dn, permissions: managerPermissions(subjects) },
      { user: pki.clients.sch!.dn, permissions: servicePermissions(subjects, 'scheduler') },
      { user: pki.clients.dsp!.dn, permissions: servicePermissions(subjects, 'dispatcher') },
    ]);
    manager = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.mgr!), inboxPrefix: subjects.node.inboxPrefix('m1') });
    scheduler = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.sch!), inboxPrefix: subjects.services.inboxPrefix('scheduler', 'i1') });
    dispatcher = await connectBus({ servers: [nats.url], tls: tlsOf(pki, pki.clients.dsp!), inboxPrefix: subjects.services.inboxPrefix('dispatcher', 'i2') });
    watchErrors('scheduler', scheduler);
    watchErrors('dispatcher', dispatcher);
  });

  afterAll(async () => {
    for (const b of [dispatcher, scheduler, manager]) await b?.close();
    await nats?.stop();
    await dir?.cleanup();
  });

  it('a scheduler publishes only on its own store subjects', async () => {
    const seen: string[] = [];
    const sub = manager.nc.subscribe(subjects.all, { callback: (_e, m: Msg) => void seen.push(m.subject) });
    await manager.nc.flush();
    try {
      const denied = [subjects.store.propose, subjects.store.list, subjects.store.scoped('dispatcher').propose, subjects.raft.member('1'), subjects.dispatcher.heartbeat('n1')];
      for (const d of denied) scheduler.nc.publish(d, 'x');
      scheduler.nc.publish(subjects.store.scoped('scheduler').propose, 'x');
      await scheduler.nc.flush();
      await waitFor(() => seen.includes(subjects.store.scoped('scheduler').propose), { what: 'the allowed publish' });
      expect(seen).toEqual([subjects.store.scoped('scheduler').propose]);
      await waitFor(() => denied.every((d) => errors.get('scheduler')!.includes(`Permissions Violation for Publish to "${d}"`)), { what: 'every violation reported' });
    } finally {
      sub.unsubscribe();
    }
  });

  it('a scheduler cannot listen to Raft, store events or the agents; it hears its inbox and the presence request', async () => {
    const got: string[] = [];
    const refused: string[] = [];
    const record = (name: string) => (err: Error | null): void => void (err ? refused.push(name) : got.push(name));
    scheduler.nc.subscribe(subjects.raft.any, { callback: record('raft') });
    scheduler.nc.subscribe(subjects.store.events, { callback: record('events') });
    scheduler.nc.subscribe(subjects.dispatcher.any, { callback: record('dispatcher') });
    scheduler.nc.subscribe(subjects.services.inboxes('dispatcher'), { callback: record('other-inbox') });
    scheduler.nc.subscribe(subjects.services.status, { callback: record('status') });
    await scheduler.nc.flush();
    for (const subj of [subjects.raft.member('1'), subjects.store.events, subjects.dispatcher.heartbeat('n1'), `${subjects.services.inboxPrefix('dispatcher', 'i2')}.x`, subjects.services.status]) {
      manager.nc.publish(subj, 'x');
    }
    await manager.nc.flush();
    await waitFor(() => got.includes('status'), { what: 'the presence request' });
    expect(got).toEqual(['status']);
    await waitFor(() => refused.length === 4, { what: 'four refused subscriptions' });
    expect(refused.sort()).toEqual(['dispatcher', 'events', 'other-inbox', 'raft']);
  });

  it("a dispatcher hears the agents' requests and pushes assignments to nodes, but reads no store events", async () => {
    const got: string[] = [];
    dispatcher.nc.subscribe(subjects.dispatcher.heartbeatAny, { callback: () => void got.push('heartbeat') });
    let refusedEvents = false;
    dispatcher.nc.subscribe(subjects.store.events, { callback: (err) => void (refusedEvents ||= err !== null) });
    await dispatcher.nc.flush();
    const pushed: string[] = [];
    manager.nc.subscribe(subjects.node.assignments('n1'), { callback: () => void pushed.push('n1') });
    await manager.nc.flush();
    manager.nc.publish(subjects.dispatcher.heartbeat('n1'), 'x');
    dispatcher.nc.publish(subjects.node.assignments('n1'), 'x');
    dispatcher.nc.publish(subjects.node.role('n1'), 'x');
    await Promise.all([manager.nc.flush(), dispatcher.nc.flush()]);
    await waitFor(() => got.length === 1 && pushed.length === 1 && refusedEvents, { what: 'the heartbeat, the push and the refusal' });
    await waitFor(() => errors.get('dispatcher')!.includes(`Permissions Violation for Publish to "${subjects.node.role('n1')}"`), { what: 'the role notice refused' });
  });
});
