import { Cluster, StoreOp, TaskState, type Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { InvalidTransaction, NameConflict, NotFound, VersionConflict } from '../../src/store/errors.js';
import { Store } from '../../src/store/store.js';
import { ids, Log, network, node, service, task } from './fixtures.js';

function seeded(): { store: Store; log: Log } {
  const store = new Store();
  const log = new Log([store]);
  log.tx('seed', 1000)
    .create('service', service('svc-a', 'web', { tier: 'front' }))
    .create('service', service('svc-b', 'db'))
    .create('node', node('n1', 'host-1', { storage: 'ssd' }))
    .create('node', node('n2', 'host-2'))
    .create('task', task('t1', 'svc-a', 1, 'n1'))
    .create('task', task('t2', 'svc-a', 2, 'n2'))
    .create('task', task('t3', 'svc-a', 3, 'n1', TaskState.TASK_STATE_SHUTDOWN, { canary: 'yes' }))
    .create('task', task('t4', 'svc-b', 1, ''))
    .commit();
  return { store, log };
}

describe('Store writes', () => {
  it('create sets meta.version to the Raft index and timestamps from the transaction', () => {
    const { store } = seeded();
    const t1 = store.view().tasks.get('t1')!;
    expect(t1.meta).toEqual({ version: 1, createdAt: 1000, updatedAt: 1000 });
    expect(store.index).toBe(1);
  });

  it('update keeps createdAt, sets updatedAt from the transaction and version to the new index', () => {
    const { store, log } = seeded();
    const t1 = store.view().tasks.get('t1')!;
    const r = log.tx('u', 5000).update('task', { ...t1, desiredState: TaskState.TASK_STATE_SHUTDOWN }).commit();
    expect(r.ok).toBe(true);
    expect(store.view().tasks.get('t1')!.meta).toEqual({ version: 2, createdAt: 1000, updatedAt: 5000 });
  });

  it('a stale version fails the whole transaction with VersionConflict naming kind, id, expected and actual', () => {
    const { store, log } = seeded();
    const t1 = store.view().tasks.get('t1')!;
    log.tx('first').update('task', { ...t1, nodeId: 'n2' }).commit(); // t1 now at version 2
    const before = store.view();
    const r = log
      .tx('stale')
      .create('task', task('t9', 'svc-b', 2))
      .update('task', { ...t1, nodeId: 'n1' }) // still carries version 1
      .commit();
    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error;
    expect(err).toBeInstanceOf(VersionConflict);
    expect(err).toMatchObject({ kind: 'task', id: 't1', expected: 1, actual: 2 });
    expect(store.view().tasks.get('t9')).toBeUndefined(); // earlier action of the same transaction rolled back
    expect(store.view().tasks.get('t1')).toBe(before.tasks.get('t1'));
    expect(store.index).toBe(3); // the entry is consumed even though refused
  });

  it('delete with a stale version fails; with the current version removes the object and its index entries', () => {
    const { store, log } = seeded();
    const t3 = store.view().tasks.get('t3')!;
    expect(log.tx('d0').delete('task', { ...t3, meta: { version: 99, createdAt: 0, updatedAt: 0 } }).commit()).toMatchObject({
      ok: false,
      error: { code: 'VersionConflict', expected: 99, actual: 1 },
    });
    expect(log.tx('d1').delete('task', t3).commit().ok).toBe(true);
    const v = store.view();
    expect(v.tasks.get('t3')).toBeUndefined();
    expect(ids(v.tasks.byService('svc-a'))).toEqual(['t1', 't2']);
    expect(v.tasks.byLabel('canary')).toEqual([]);
    expect(v.tasks.byDesiredState(TaskState.TASK_STATE_SHUTDOWN)).toEqual([]);
  });

  it('creates fail on an existing id or a taken unique name (NameConflict)', () => {
    const { store, log } = seeded();
    const dupId = log.tx('x').create('task', task('t1', 'svc-b', 9)).commit();
    expect(dupId).toMatchObject({ ok: false, error: { code: 'NameConflict', field: 'id', kind: 'task', id: 't1' } });
    const dupName = log.tx('y').create('service', service('svc-c', 'web')).commit();
    expect(dupName.ok).toBe(false);
    if (dupName.ok) throw new Error('expected a refusal');
    const e = dupName.error;
    expect(e).toBeInstanceOf(NameConflict);
    expect(e).toMatchObject({ field: 'name', value: 'web', existingId: 'svc-a' });
    log.tx('n1').create('network', network('net-1', 'mynet')).commit();
    expect(log.tx('n2').create('network', network('net-2', 'mynet')).commit()).toMatchObject({ ok: false, error: { code: 'NameConflict' } });
    expect(store.view().services.count).toBe(2);
  });

  it('renaming onto a taken name fails; node hostnames may repeat', () => {
    const { store, log } = seeded();
    const b = store.view().services.get('svc-b')!;
    const r = log.tx('r').update('service', { ...b, spec: { ...b.spec!, annotations: { name: 'web', labels: {} } } }).commit();
    expect(r).toMatchObject({ ok: false, error: { code: 'NameConflict', value: 'web' } });
    expect(log.tx('h').create('node', node('n3', 'host-1')).commit().ok).toBe(true);
    expect(ids(store.view().nodes.byName('host-1'))).toEqual(['n1', 'n3']);
  });

  it('update or delete of a missing object is NotFound; undecodable bytes are InvalidTransaction; both change nothing', () => {
    const { store, log } = seeded();
    const before = store.snapshot();
    const r = log.tx('m').update('task', task('nope', 'svc-a', 1)).commit();
    expect((r as { error: unknown }).error).toBeInstanceOf(NotFound);
    const bad = log.append(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect((bad as { error: unknown }).error).toBeInstanceOf(InvalidTransaction);
    const noObject = log.append(Uint8Array.from([0x1a, 0x02, 0x08, 0x01])); // an action with op=UPDATE and no object
    expect((noObject as { error: unknown }).error).toBeInstanceOf(InvalidTransaction);
    expect(store.index).toBe(4);
    const after = Store.fromSnapshot(store.snapshot());
    expect(ids(after.view().tasks.all())).toEqual(ids(Store.fromSnapshot(before).view().tasks.all()));
  });

  it('refuses to apply an index that is not after the current one', () => {
    const { store } = seeded();
    expect(() => store.apply(1, new Uint8Array())).toThrow(/out of order/);
    expect(store.apply(2, new Uint8Array())).toMatchObject({ ok: true, events: [] });
  });

  it('stored objects are frozen so readers cannot corrupt the state', () => {
    const { store } = seeded();
    const t1 = store.view().tasks.get('t1')! as Task;
    expect(() => {
      (t1 as { nodeId: string }).nodeId = 'evil';
    }).toThrow(TypeError);
    expect(() => {
      t1.status!.state = TaskState.TASK_STATE_FAILED;
    }).toThrow(TypeError);
  });
});

describe('objects with byte fields', () => {
  it('stores, snapshots and restores a cluster carrying certificate bytes', () => {
    const { store, log } = seeded();
    const cert = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB...\n');
    const cluster = Cluster.fromPartial({ id: 'c1', spec: { annotations: { name: 'default' } }, rootCa: { caCert: cert, caCertHash: 'sha256:ab' } });
    expect(log.tx('c').create('cluster', cluster).commit().ok).toBe(true);
    const restored = Store.fromSnapshot(store.snapshot());
    const got = restored.view().clusters.byName('default')!;
    expect(Buffer.from(got.rootCa!.caCert).equals(cert)).toBe(true);
    expect(Object.isFrozen(got.rootCa)).toBe(true);
  });
});

describe('Store reads', () => {
  it('answers every secondary index', () => {
    const v = seeded().store.view();
    expect(v.services.byName('web')?.id).toBe('svc-a');
    expect(v.services.byName('nope')).toBeUndefined();
    expect(v.services.byLabel('tier', 'front').map((s) => s.id)).toEqual(['svc-a']);
    expect(v.services.byLabel('tier', 'back')).toEqual([]);
    expect(ids(v.tasks.byService('svc-a'))).toEqual(['t1', 't2', 't3']);
    expect(ids(v.tasks.byNode('n1'))).toEqual(['t1', 't3']);
    expect(v.tasks.byNode('')).toEqual([]);
    expect(ids(v.tasks.bySlot('svc-a', 2))).toEqual(['t2']);
    expect(ids(v.tasks.bySlot('svc-b', 1))).toEqual(['t4']);
    expect(ids(v.tasks.byDesiredState(TaskState.TASK_STATE_RUNNING))).toEqual(['t1', 't2', 't4']);
    expect(ids(v.tasks.byLabel('canary'))).toEqual(['t3']);
    expect(ids(v.nodes.byLabel('storage', 'ssd'))).toEqual(['n1']);
    expect(v.tasks.count).toBe(4);
  });

  it('moves an object between index keys when an update changes them', () => {
    const { store, log } = seeded();
    const t1 = store.view().tasks.get('t1')!;
    log.tx('mv').update('task', { ...t1, nodeId: 'n2', desiredState: TaskState.TASK_STATE_SHUTDOWN }).commit();
    const v = store.view();
    expect(ids(v.tasks.byNode('n1'))).toEqual(['t3']);
    expect(ids(v.tasks.byNode('n2'))).toEqual(['t1', 't2']);
    expect(ids(v.tasks.byDesiredState(TaskState.TASK_STATE_SHUTDOWN))).toEqual(['t1', 't3']);
    // objects reached through an index are the current version
    expect(v.tasks.byService('svc-a').find((t) => t.id === 't1')!.meta!.version).toBe(2);
  });

  it('a read view keeps seeing its version while later transactions apply, across awaits', async () => {
    const { store, log } = seeded();
    const view = store.view();
    const t1 = view.tasks.get('t1')!;
    log.tx('a').update('task', { ...t1, nodeId: 'n2' }).create('task', task('t5', 'svc-a', 4, 'n1')).commit();
    await new Promise<void>((resolve) => setImmediate(resolve));
    log.tx('b').delete('service', store.view().services.get('svc-b')!).commit();
    expect(view.index).toBe(1);
    expect(view.tasks.get('t1')!.nodeId).toBe('n1');
    expect(ids(view.tasks.byNode('n1'))).toEqual(['t1', 't3']);
    expect(view.tasks.get('t5')).toBeUndefined();
    expect(view.services.byName('db')?.id).toBe('svc-b');
    const now = store.view();
    expect(now.index).toBe(3);
    expect(ids(now.tasks.byNode('n1'))).toEqual(['t3', 't5']);
    expect(now.services.byName('db')).toBeUndefined();
  });
});

describe('determinism', () => {
  it('two stores fed the same log reach identical state, whatever the local clock says', () => {
    const a = new Store();
    const b = new Store();
    const log = new Log([a, b]);
    log.tx('1', 42).create('service', service('s', 'api')).commit();
    for (let i = 0; i < 50; i++) log.tx(`t${i}`, 100 + i).create('task', task(`task-${i}`, 's', i + 1, `n${i % 3}`)).commit();
    const t = a.view().tasks.get('task-7')!;
    log.tx('u', 9999).update('task', { ...t, desiredState: TaskState.TASK_STATE_SHUTDOWN }).commit();
    log.tx('stale', 10000).update('task', t).commit(); // refused on both
    expect(Buffer.from(a.snapshot()).equals(Buffer.from(b.snapshot()))).toBe(true);
    expect(a.view().tasks.get('task-7')!.meta).toEqual({ version: 52, createdAt: 107, updatedAt: 9999 });
    const c = new Store();
    for (const e of log.entries) c.apply(e.index, e.data); // replay later, on another "member"
    expect(Buffer.from(c.snapshot()).equals(Buffer.from(a.snapshot()))).toBe(true);
  });

  it('events carry op, object, old object and index', () => {
    const { store, log } = seeded();
    const t2 = store.view().tasks.get('t2')!;
    const r = log.tx('e').update('task', { ...t2, nodeId: 'n1' }).delete('node', store.view().nodes.get('n2')!).commit();
    expect(r.ok).toBe(true);
    if (!r.ok) throw r.error;
    const events = r.events;
    expect(events.map((e) => [e.op, e.object?.kind?.$case, e.object?.kind?.value.id, e.index])).toEqual([
      [StoreOp.STORE_OP_UPDATE, 'task', 't2', 2],
      [StoreOp.STORE_OP_DELETE, 'node', 'n2', 2],
    ]);
    expect(events[0]!.old?.kind?.value).toBe(t2);
  });
});
