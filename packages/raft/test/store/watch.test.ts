import { StoreOp, TaskState, type StoreEvent } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { EventGap, WatchClosed } from '../../src/store/errors.js';
import { Store } from '../../src/store/store.js';
import type { Subscription } from '../../src/store/watch.js';
import { Log, service, task } from './fixtures.js';

const summary = (e: StoreEvent) => `${e.index}:${e.op}:${e.object?.kind?.$case}:${e.object?.kind?.value.id}`;

async function take(sub: Subscription, n: number): Promise<StoreEvent[]> {
  const out: StoreEvent[] = [];
  while (out.length < n) {
    const r = await sub.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('watch', () => {
  it('delivers matching events in order, filtered by kind, op and predicate', async () => {
    const store = new Store();
    const log = new Log([store]);
    const tasksOnly = store.watch({ kinds: ['task'] });
    const updates = store.watch({ ops: [StoreOp.STORE_OP_UPDATE] });
    const onN1 = store.watch({ kinds: ['task'], predicate: (e) => (e.object?.kind?.value as { nodeId?: string }).nodeId === 'n1' });
    log.tx('a').create('service', service('s', 'web')).create('task', task('t1', 's', 1, 'n1')).create('task', task('t2', 's', 2, 'n2')).commit();
    const t2 = store.view().tasks.get('t2')!;
    log.tx('b').update('task', { ...t2, nodeId: 'n1' }).commit();

    expect((await take(tasksOnly, 3)).map(summary)).toEqual([
      `1:${StoreOp.STORE_OP_CREATE}:task:t1`,
      `1:${StoreOp.STORE_OP_CREATE}:task:t2`,
      `2:${StoreOp.STORE_OP_UPDATE}:task:t2`,
    ]);
    const [u] = await take(updates, 1);
    expect(summary(u!)).toBe(`2:${StoreOp.STORE_OP_UPDATE}:task:t2`);
    expect((u!.old?.kind?.value as { nodeId: string }).nodeId).toBe('n2');
    expect((await take(onN1, 2)).map((e) => e.object?.kind?.value.id)).toEqual(['t1', 't2']);
  });

  it('a waiting consumer is woken by the next apply', async () => {
    const store = new Store();
    const log = new Log([store]);
    const sub = store.watch();
    const pending = sub.next();
    log.tx('a').create('service', service('s', 'web')).commit();
    const r = await pending;
    expect(r.done).toBe(false);
    expect(r.value?.object?.kind?.$case).toBe('service');
  });

  it('a lagging subscriber is closed with a reason; apply and other subscribers go on', async () => {
    const store = new Store();
    const log = new Log([store]);
    const slow = store.watch({}, { maxQueue: 5 });
    const fine = store.watch({}, { maxQueue: 100 });
    log.tx('s').create('service', service('s', 'web')).commit();
    for (let i = 1; i <= 10; i++) log.tx(`t${i}`).create('task', task(`t${i}`, 's', i)).commit();
    expect(store.index).toBe(11);
    expect(slow.closed).toBe(true);
    expect(slow.closeReason).toMatch(/lagged: more than 5 undelivered events/);
    await expect(slow.next()).rejects.toBeInstanceOf(WatchClosed);
    expect((await take(fine, 11)).length).toBe(11);
    expect(store.watcherCount).toBe(1);
  });

  it('close() ends a for-await loop', async () => {
    const store = new Store();
    const log = new Log([store]);
    const sub = store.watch();
    log.tx('a').create('service', service('s', 'web')).commit();
    const seen: string[] = [];
    for await (const ev of sub) {
      seen.push(ev.object!.kind!.value.id);
      sub.close();
    }
    expect(seen).toEqual(['s']);
    expect(store.watcherCount).toBe(0);
  });

  it('a throwing predicate closes only that subscriber', async () => {
    const store = new Store();
    const log = new Log([store]);
    const bad = store.watch({ predicate: () => { throw new Error('boom'); } });
    log.tx('a').create('service', service('s', 'web')).commit();
    expect(bad.closeReason).toMatch(/predicate threw: boom/);
    expect(store.index).toBe(1);
  });

  it('sinceIndex replays kept events before live ones, and throws EventGap when they are gone', async () => {
    const store = new Store({ eventRingSize: 3 });
    const log = new Log([store]);
    log.tx('s').create('service', service('s', 'web')).commit(); // 1
    for (let i = 1; i <= 3; i++) log.tx(`t${i}`).create('task', task(`t${i}`, 's', i)).commit(); // 2..4
    const sub = store.watch({}, { sinceIndex: 2 });
    log.tx('t4').create('task', task('t4', 's', 4)).commit(); // 5
    expect((await take(sub, 3)).map((e) => e.index)).toEqual([3, 4, 5]);
    expect(() => store.watch({}, { sinceIndex: 0 })).toThrow(EventGap);
  });

  it('restoring a snapshot closes watchers: they must re-list', async () => {
    const store = new Store();
    const log = new Log([store]);
    log.tx('s').create('service', service('s', 'web')).commit();
    const snap = store.snapshot();
    const sub = store.watch();
    store.restore(snap);
    await expect(sub.next()).rejects.toThrow(/restored from a snapshot at index 1/);
  });
});

describe('events since index', () => {
  it('returns the events after i while the ring still holds them', () => {
    const store = new Store({ eventRingSize: 4 });
    const log = new Log([store]);
    log.tx('s').create('service', service('s', 'web')).commit(); // 1: one event
    log.tx('ab').create('task', task('a', 's', 1)).create('task', task('b', 's', 2)).commit(); // 2: two events
    log.append(new Uint8Array()); // 3: no events
    const a = store.view().tasks.get('a')!;
    log.tx('u').update('task', { ...a, desiredState: TaskState.TASK_STATE_SHUTDOWN }).commit(); // 4
    const r = store.eventsSince(1);
    expect(r.result?.$case).toBe('events');
    if (r.result?.$case !== 'events') return;
    expect(r.result.value.events.map((e) => e.index)).toEqual([2, 2, 4]);
    expect(r.result.value.currentIndex).toBe(4);
    const upToDate = store.eventsSince(4);
    expect(upToDate.result).toEqual({ $case: 'events', value: { events: [], currentIndex: 4 } });
  });

  it('answers with a typed gap once events after i were evicted', () => {
    const store = new Store({ eventRingSize: 4 });
    const log = new Log([store]);
    log.tx('s').create('service', service('s', 'web')).commit(); // 1
    for (let i = 1; i <= 4; i++) log.tx(`t${i}`).create('task', task(`t${i}`, 's', i)).commit(); // 2..5, evicts index 1
    expect(store.eventsSince(0).result).toEqual({
      $case: 'gap',
      value: { requestedIndex: 0, oldestAvailableIndex: 1, currentIndex: 5 },
    });
    const ok = store.eventsSince(1).result;
    expect(ok?.$case === 'events' && ok.value.events.map((e) => e.index)).toEqual([2, 3, 4, 5]);
    expect(store.eventsSince(9).result?.$case).toBe('gap'); // ahead of this store
  });

  it('after a restore only events after the snapshot index are answerable', () => {
    const source = new Store();
    const log = new Log([source]);
    log.tx('s').create('service', service('s', 'web')).commit();
    const restored = Store.fromSnapshot(source.snapshot());
    expect(restored.eventsSince(0).result?.$case).toBe('gap');
    expect(restored.eventsSince(1).result).toEqual({ $case: 'events', value: { events: [], currentIndex: 1 } });
  });
});
