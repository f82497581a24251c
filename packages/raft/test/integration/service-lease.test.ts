// Issue 16: manager services as processes, over a real nats-server and three Raft members. Two
// "scheduler processes" (own NATS connections, scoped store clients, replicas followed over NATS)
// compete for the scheduler lease; the holder's writes are fenced; when it is cut off the other
// takes over, and what the cut-off one sends afterwards is refused by the fence.
import { Cluster, Lease, Secret, StoreTransaction, Task, TaskState, type LeaseFence } from '@flotilla/api';
import { BusErrorCode, isBusRequestError, type BusConnection } from '@flotilla/bus';
import { waitFor } from '@flotilla/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseRunner, fencedStoreAccess } from '../../src/lease/lease-runner.js';
import type { StoreAccess } from '../../src/store-access.js';
import { StoreClient, StoreReplica } from '../../src/store-service/client.js';
import { replicaStoreAccess } from '../../src/store-service/replica-access.js';
import { StoreService } from '../../src/store-service/server.js';
import { LeaseLost } from '../../src/store/errors.js';
import { TransactionBuilder } from '../../src/store/transaction.js';
import { TestCluster } from './cluster.js';

interface FakeProcess {
  bus: BusConnection;
  replica: StoreReplica;
  access: StoreAccess;
  runner: LeaseRunner;
  fenced: StoreAccess;
  acting: boolean;
}

let cluster: TestCluster | undefined;
let services: StoreService[] = [];
let procs: FakeProcess[] = [];
afterEach(async () => {
  for (const p of procs) {
    await p.runner.stop().catch(() => undefined);
    await p.replica.stop();
  }
  procs = [];
  await Promise.all(services.map((s) => s.stop()));
  services = [];
  await cluster?.stop();
  cluster = undefined;
});

function serveAll(c: TestCluster): void {
  for (const s of c.slots.values()) {
    if (!s.member || !s.bus) continue;
    const svc = new StoreService({ member: s.member, nc: s.bus.nc, clusterId: c.clusterId });
    svc.start();
    services.push(svc);
  }
}

async function schedulerProcess(c: TestCluster, id: string): Promise<FakeProcess> {
  const bus = await c.nats.connect('follower');
  const client = new StoreClient({ nc: bus.nc, clusterId: c.clusterId, scope: 'scheduler' });
  const replica = new StoreReplica(client, undefined, { waitMs: 500 });
  replica.start();
  expect(await replica.whenListed(10_000)).toBe(true);
  const access = replicaStoreAccess(replica, client);
  const p = { bus, replica, access, acting: false } as FakeProcess;
  p.runner = new LeaseRunner({
    access,
    leaseId: 'scheduler',
    instanceId: id,
    holderInfo: { host: 'test', pid: process.pid, managerNodeId: '' },
    durationMs: 1_000,
    onAcquire: async () => void (p.acting = true),
    onLose: async () => void (p.acting = false),
  });
  p.fenced = fencedStoreAccess(access, p.runner);
  procs.push(p);
  p.runner.start();
  return p;
}

const assigned = (t: Task, nodeId: string): Task => ({ ...t, nodeId, status: { ...t.status!, state: TaskState.TASK_STATE_ASSIGNED } });

describe('a singleton service lease over NATS', () => {
  it('one of two instances acts; its fenced writes land; cut off, the other takes over and the old epoch is refused', async () => {
    cluster = await TestCluster.start(3);
    const c = cluster;
    await c.leader();
    serveAll(c);
    const admin = new StoreClient({ nc: (await c.nats.connect('follower')).nc, clusterId: c.clusterId });
    await admin.propose(new TransactionBuilder('seed', Date.now()).create('task', Task.fromPartial({ id: 't1', serviceId: 's1', slot: 1, status: { state: TaskState.TASK_STATE_PENDING } })).encode());

    const a = await schedulerProcess(c, 'instance-a');
    await waitFor(() => a.acting, { what: 'a to take the free lease' });
    const b = await schedulerProcess(c, 'instance-b');
    await waitFor(() => b.replica.store.view().leases.get('scheduler')?.holder === 'instance-a', { what: "b's replica to see a's lease" });
    expect(b.acting).toBe(false);
    const fenceA = a.runner.fence!;
    expect(fenceA).toEqual({ leaseId: 'scheduler', epoch: 1, holder: 'instance-a' });

    // a writes under its fence; b, not holding, is refused before anything is sent.
    const t1 = a.access.view().tasks.get('t1')!;
    await a.fenced.propose(new TransactionBuilder('a-place', Date.now()).update('task', assigned(t1, 'n1')).build());
    await expect(b.fenced.propose(new TransactionBuilder('b-place', Date.now()).update('task', assigned(t1, 'n2')).build())).rejects.toBeInstanceOf(LeaseLost);
    // a renews: the lease's version moves on while its epoch stays.
    const v0 = a.access.view().leases.get('scheduler')!.meta!.version;
    await waitFor(() => (a.access.view().leases.get('scheduler')!.meta!.version > v0 ? true : undefined), { what: 'a renewal' });
    expect(a.access.view().leases.get('scheduler')!.epoch).toBe(1);

    // a is cut off from NATS (as a killed or partitioned process would be): b takes over.
    const cutAt = performance.now();
    await a.bus.nc.close();
    await waitFor(() => b.acting, { what: 'b to take the lease over', timeoutMs: 10_000 });
    await waitFor(() => !a.acting, { what: 'a to stop acting, unable to renew' });
    const tookMs = performance.now() - cutAt;
    const taken = b.access.view().leases.get('scheduler')!;
    expect(taken).toMatchObject({ holder: 'instance-b', epoch: 2, transitions: 1 });
    // Not before the lease could have expired by b's own count.
    expect(tookMs).toBeGreaterThanOrEqual(900);

    // What a decided under epoch 1 and sends only now (same scope, from a new connection) is refused by the fence.
    const late = new StoreClient({ nc: (await c.nats.connect('follower')).nc, clusterId: c.clusterId, scope: 'scheduler' });
    const stale = StoreTransaction.encode({
      ...new TransactionBuilder('a-late', Date.now()).update('task', assigned(b.access.view().tasks.get('t1')!, 'n9')).build(),
      scope: 'scheduler',
      fence: fenceA satisfies LeaseFence,
    }).finish();
    const err = await late.propose(stale).catch((e: unknown) => e);
    expect(isBusRequestError(err, BusErrorCode.LEASE_LOST)).toBe(true);
    expect((err as Error).message).toContain('lease scheduler: write fenced out: it was made under epoch 1, but the lease is at epoch 2 held by instance-b');
    for (const m of c.live()) expect(m.store.view().tasks.get('t1')!.nodeId).toBe('n1');

    // b stops on purpose: it releases, and a fresh instance takes over at once (no expiry wait).
    await b.runner.stop();
    expect(admin).toBeDefined();
    const cAfter = await schedulerProcess(c, 'instance-c');
    await waitFor(() => cAfter.acting, { what: 'c to take the released lease', timeoutMs: 5_000 });
    expect(cAfter.access.view().leases.get('scheduler')).toMatchObject({ holder: 'instance-c', epoch: 3 });
  });

  it('answers a service identity with a redacted store and refuses its writes outside its scope before they reach the log', async () => {
    cluster = await TestCluster.start(1);
    const c = cluster;
    await c.leader();
    serveAll(c);
    const admin = new StoreClient({ nc: (await c.nats.connect('follower')).nc, clusterId: c.clusterId });
    await admin.propose(
      new TransactionBuilder('seed', Date.now())
        .create('cluster', Cluster.fromPartial({ id: 'c1', spec: { annotations: { name: 'default' } }, rootCa: { caCert: Buffer.from('CERT'), caKey: Buffer.from('KEY'), joinTokens: { worker: 'W', manager: 'M', service: 'S' } } }))
        .create('secret', Secret.fromPartial({ id: 's1', spec: { annotations: { name: 'db' } }, sealed: { keyId: 'k', nonce: Buffer.alloc(12), ciphertext: Buffer.from('x') } }))
        .encode(),
    );
    const p = await schedulerProcess(c, 'instance-a');
    await waitFor(() => p.acting, { what: 'the lease' });
    const view = p.access.view();
    expect(Buffer.from(view.clusters.get('c1')!.rootCa!.caKey).length).toBe(0);
    expect(view.clusters.get('c1')!.rootCa!.joinTokens).toEqual({ worker: '', manager: '', service: '' });
    expect(view.secrets.get('s1')!.sealed).toBeUndefined();
    // Events are redacted too: a change after the list arrives without the key.
    const before = c.member(1).store.view().clusters.get('c1')!;
    await admin.propose(new TransactionBuilder('rename', Date.now()).update('cluster', { ...before, spec: { ...before.spec!, annotations: { name: 'default', labels: { a: 'b' } } } }).encode());
    await waitFor(() => (p.access.view().clusters.get('c1')!.spec!.annotations!.labels['a'] === 'b' ? true : undefined), { what: 'the event' });
    expect(Buffer.from(p.access.view().clusters.get('c1')!.rootCa!.caKey).length).toBe(0);

    const refused = await p.fenced.propose(new TransactionBuilder('s2', Date.now()).create('secret', Secret.fromPartial({ id: 's2', spec: { annotations: { name: 'x' } } })).build()).catch((e: unknown) => e);
    expect(isBusRequestError(refused, BusErrorCode.PERMISSION_DENIED)).toBe(true);
    expect((refused as Error).message).toBe('store write refused: the scheduler service may not write secret objects (action 0, secret s2)');
    // A transaction claiming no scope on the scheduler's subjects is refused too.
    const unscoped = new TransactionBuilder('s3', Date.now()).create('lease', Lease.fromPartial({ id: 'scheduler', holder: 'x', epoch: 99 })).encode();
    const client = new StoreClient({ nc: p.bus.nc, clusterId: c.clusterId, scope: 'scheduler' });
    const err = await client.propose(unscoped).catch((e: unknown) => e);
    expect((err as Error).message).toBe('store write refused: a write through the scheduler service\'s subjects must say scope "scheduler" (it says "")');
    expect(c.member(1).store.view().secrets.count).toBe(1);
    expect(Buffer.from(c.member(1).store.view().clusters.get('c1')!.rootCa!.caKey).toString()).toBe('KEY');
  });
});
