import { TaskState } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { ReplicaDiverged } from '../../src/store/replay.js';
import { Store } from '../../src/store/store.js';
import type { ReadTx } from '../../src/store/read-tx.js';
import { ids, Log, network, node, service, task } from './fixtures.js';

function populated(): { store: Store; log: Log } {
  const store = new Store();
  const log = new Log([store]);
  log.tx('base')
    .create('service', service('s1', 'web', { tier: 'front' }))
    .create('service', service('s2', 'db', { tier: 'back' }))
    .create('network', network('net1', 'mynet'))
    .create('node', node('n1', 'h1', { zone: 'a' }))
    .create('node', node('n2', 'h1', { zone: 'b' }))
    .commit();
  for (let i = 0; i < 40; i++) {
    const desired = i % 5 === 0 ? TaskState.TASK_STATE_SHUTDOWN : TaskState.TASK_STATE_RUNNING;
    log.tx(`t${i}`).create('task', task(`t${i}`, i % 2 ? 's1' : 's2', (i % 7) + 1, i % 3 ? 'n1' : 'n2', desired, { idx: String(i % 4) })).commit();
  }
  const t0 = store.view().tasks.get('t0')!;
  log.tx('del').delete('task', store.view().tasks.get('t1')!).update('task', { ...t0, nodeId: '' }).commit();
  return { store, log };
}

/** Every query the read API offers, over a fixed set of keys, with results sorted for comparison. */
function allQueries(v: ReadTx): unknown {
  const out: Record<string, unknown> = { index: v.index };
  out.services = ids(v.services.all());
  out.tasks = [...v.tasks.all()].sort((a, b) => (a.id < b.id ? -1 : 1));
  out.nodes = [...v.nodes.all()].sort((a, b) => (a.id < b.id ? -1 : 1));
  out.networks = ids(v.networks.all());
  for (const n of ['web', 'db', 'nope']) out[`svcByName:${n}`] = v.services.byName(n)?.id;
  out['netByName'] = v.networks.byName('mynet')?.id;
  out['nodesByName'] = ids(v.nodes.byName('h1'));
  for (const s of ['s1', 's2']) {
    out[`byService:${s}`] = ids(v.tasks.byService(s));
    for (let slot = 1; slot <= 7; slot++) out[`bySlot:${s}:${slot}`] = ids(v.tasks.bySlot(s, slot));
  }
  for (const n of ['n1', 'n2']) out[`byNode:${n}`] = ids(v.tasks.byNode(n));
  for (const st of [TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_SHUTDOWN]) out[`byDesired:${st}`] = ids(v.tasks.byDesiredState(st));
  for (let i = 0; i < 4; i++) out[`taskLabel:${i}`] = ids(v.tasks.byLabel('idx', String(i)));
  out['taskLabelAny'] = ids(v.tasks.byLabel('idx'));
  out['svcLabel'] = ids(v.services.byLabel('tier', 'front'));
  out['nodeLabel'] = ids(v.nodes.byLabel('zone'));
  return out;
}

describe('store snapshot', () => {
  it('round-trips through bytes and the restored store answers every query identically', () => {
    const { store } = populated();
    const bytes = store.snapshot();
    const restored = Store.fromSnapshot(bytes);
    expect(restored.index).toBe(store.index);
    expect(allQueries(restored.view())).toEqual(allQueries(store.view()));
    expect(Buffer.from(restored.snapshot()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a restored store keeps applying the log exactly like the original', () => {
    const { store, log } = populated();
    const restored = Store.fromSnapshot(store.snapshot());
    log.stores.push(restored);
    const t2 = store.view().tasks.get('t2')!;
    log.tx('after').update('task', { ...t2, nodeId: 'n2' }).create('task', task('t99', 's1', 8, 'n1')).commit();
    log.tx('stale').update('task', t2).commit();
    expect(allQueries(restored.view())).toEqual(allQueries(store.view()));
  });

  it('a snapshot limited to some kinds lists only those, at the same index', () => {
    const { store } = populated();
    const partial = Store.fromSnapshot(store.snapshot(['task']));
    expect(partial.index).toBe(store.index);
    expect(ids(partial.view().tasks.all())).toEqual(ids(store.view().tasks.all()));
    expect(partial.view().services.count).toBe(0);
    expect(partial.view().nodes.count).toBe(0);
  });

  it('bad snapshot bytes throw and leave the store as it was', () => {
    const { store } = populated();
    const before = allQueries(store.view());
    expect(() => store.restore(Uint8Array.from([0x12, 0x50, 0x01]))).toThrow(/does not decode/);
    const dup = new Store();
    const log = new Log([dup]);
    log.tx('a').create('service', service('x', 'same')).commit();
    // Two snapshots' objects concatenated: a duplicate id, which no real store can hold.
    const twice = new Uint8Array([...dup.snapshot(), ...dup.snapshot()]);
    expect(() => store.restore(twice)).toThrow(/twice/);
    expect(allQueries(store.view())).toEqual(before);
  });
});

describe('replica following by list + events since', () => {
  /** What a follower process does with one "events since" answer. */
  function catchUp(replica: Store, source: Store): 'events' | 'relisted' {
    const r = source.eventsSince(replica.index).result!;
    if (r.$case === 'gap') {
      replica.restore(source.snapshot());
      return 'relisted';
    }
    replica.applyEvents(r.value.events, r.value.currentIndex);
    return 'events';
  }

  it('a replica fed events answers every query like the source, and re-lists after a gap', () => {
    const { store: source, log } = populated();
    const replica = Store.fromSnapshot(source.snapshot());
    const t2 = source.view().tasks.get('t2')!;
    log.tx('a').update('task', { ...t2, nodeId: 'n2', desiredState: TaskState.TASK_STATE_SHUTDOWN }).create('task', task('t50', 's2', 3, 'n1')).commit();
    log.append(new Uint8Array()); // an entry without events still moves the index
    log.tx('b').delete('service', source.view().services.get('s1')!).commit();
    expect(catchUp(replica, source)).toBe('events');
    expect(replica.index).toBe(source.index);
    expect(allQueries(replica.view())).toEqual(allQueries(source.view()));

    const small = new Store({ eventRingSize: 2 });
    const smallLog = new Log([small]);
    smallLog.tx('x').create('service', service('q', 'queue')).commit();
    const lagging = Store.fromSnapshot(small.snapshot());
    for (let i = 0; i < 5; i++) smallLog.tx(`y${i}`).create('task', task(`q${i}`, 'q', i + 1)).commit();
    expect(catchUp(lagging, small)).toBe('relisted');
    expect(allQueries(lagging.view())).toEqual(allQueries(small.view()));
  });

  it('events that do not fit the replica throw ReplicaDiverged and change nothing', () => {
    const { store: source, log } = populated();
    const replica = Store.fromSnapshot(source.snapshot());
    const before = allQueries(replica.view());
    const t2 = source.view().tasks.get('t2')!;
    const r = log.tx('a').update('task', { ...t2, nodeId: 'n2' }).create('task', task('t60', 's1', 1)).commit();
    if (!r.ok) throw r.error;
    expect(() => replica.applyEvents([r.events[1]!, r.events[1]!])).toThrow(ReplicaDiverged); // duplicate create
    expect(allQueries(replica.view())).toEqual(before);
    replica.applyEvents(r.events);
    expect(() => replica.applyEvents(r.events)).toThrow(/out of order/);
    expect(allQueries(replica.view())).toEqual(allQueries(source.view()));
  });
});
