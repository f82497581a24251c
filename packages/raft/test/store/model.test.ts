// Random transactions against the store and against a naive model (plain maps, linear scans):
// every indexed query must match the model after every transaction, and views taken earlier
// must still match the model as it was then.
import { TaskState, type Service, type Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import type { ReadTx } from '../../src/store/read-tx.js';
import { Store } from '../../src/store/store.js';
import { ids, Log, service, task } from './fixtures.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 0x1_0000_0000;
  };
}

interface Model {
  index: number;
  services: Map<string, Service>;
  tasks: Map<string, Task>;
}

const STATES = [TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_SHUTDOWN, TaskState.TASK_STATE_COMPLETE];

/** Whole objects sorted by id, so a stale object left in an index is caught, not just a wrong id. */
const objs = <T extends { id: string }>(xs: Iterable<T>): T[] => [...xs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

function expectMatches(v: ReadTx, m: Model): void {
  expect(v.index).toBe(m.index);
  expect(ids(v.tasks.all())).toEqual([...m.tasks.keys()].sort());
  expect(ids(v.services.all())).toEqual([...m.services.keys()].sort());
  const tasks = [...m.tasks.values()];
  for (let s = 0; s < 6; s++) {
    const sid = `s${s}`;
    expect(objs(v.tasks.byService(sid))).toEqual(objs(tasks.filter((t) => t.serviceId === sid)));
    for (let slot = 1; slot <= 4; slot++) {
      expect(objs(v.tasks.bySlot(sid, slot))).toEqual(objs(tasks.filter((t) => t.serviceId === sid && t.slot === slot)));
    }
    const named = [...m.services.values()].find((x) => x.spec?.annotations?.name === `name${s}`);
    expect(v.services.byName(`name${s}`)?.id).toBe(named?.id);
  }
  for (let n = 0; n < 5; n++) expect(objs(v.tasks.byNode(`n${n}`))).toEqual(objs(tasks.filter((t) => t.nodeId === `n${n}`)));
  for (const st of STATES) expect(objs(v.tasks.byDesiredState(st))).toEqual(objs(tasks.filter((t) => t.desiredState === st)));
  for (const val of ['a', 'b']) {
    expect(objs(v.tasks.byLabel('color', val))).toEqual(objs(tasks.filter((t) => t.annotations?.labels?.color === val)));
  }
  for (const t of tasks) expect(v.tasks.get(t.id)).toEqual(t);
}

describe('store against a naive model', () => {
  it('agrees on every query after each of 600 random transactions, and old views stay as they were', () => {
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const store = new Store();
    const log = new Log([store]);
    let model: Model = { index: 0, services: new Map(), tasks: new Map() };
    const kept: Array<{ view: ReadTx; model: Model }> = [];
    let refused = 0;

    for (let step = 0; step < 600; step++) {
      const ts = 1000 + step;
      const tx = log.tx(`tx${step}`, ts);
      const next: Model = { index: model.index + 1, services: new Map(model.services), tasks: new Map(model.tasks) };
      let ok = true;
      const actions = 1 + Math.floor(rand() * 4);
      const touched = new Set<string>();
      for (let a = 0; a < actions; a++) {
        const roll = rand();
        const existing = [...next.tasks.values()];
        if (roll < 0.1) {
          const s = service(`s${Math.floor(rand() * 6)}`, `name${Math.floor(rand() * 6)}`);
          if (touched.has(s.id)) continue;
          touched.add(s.id);
          tx.create('service', s);
          const clash = [...next.services.values()].some((x) => x.spec?.annotations?.name === s.spec?.annotations?.name && x.id !== s.id);
          if (next.services.has(s.id) || clash) ok = false;
          else next.services.set(s.id, { ...s, meta: { version: next.index, createdAt: ts, updatedAt: ts } });
        } else if (roll < 0.5 || existing.length === 0) {
          const t = task(`t${Math.floor(rand() * 80)}`, `s${Math.floor(rand() * 6)}`, 1 + Math.floor(rand() * 4), rand() < 0.2 ? '' : `n${Math.floor(rand() * 5)}`, pick(STATES), rand() < 0.5 ? { color: pick(['a', 'b']) } : {});
          if (touched.has(t.id)) continue;
          touched.add(t.id);
          tx.create('task', t);
          if (next.tasks.has(t.id)) ok = false;
          else next.tasks.set(t.id, { ...t, meta: { version: next.index, createdAt: ts, updatedAt: ts } });
        } else {
          const cur = pick(existing);
          if (touched.has(cur.id)) continue;
          touched.add(cur.id);
          const stale = rand() < 0.1;
          const version = stale ? cur.meta!.version - 1 : cur.meta!.version;
          if (stale) ok = false;
          if (rand() < 0.3) {
            tx.delete('task', { ...cur, meta: { ...cur.meta!, version } });
            next.tasks.delete(cur.id);
          } else {
            const changed: Task = { ...cur, meta: { ...cur.meta!, version }, nodeId: rand() < 0.5 ? `n${Math.floor(rand() * 5)}` : cur.nodeId, desiredState: pick(STATES), slot: rand() < 0.2 ? 1 + Math.floor(rand() * 4) : cur.slot };
            tx.update('task', changed);
            next.tasks.set(cur.id, { ...changed, meta: { version: next.index, createdAt: cur.meta!.createdAt, updatedAt: ts } });
          }
        }
      }
      const result = tx.commit();
      expect(result.ok).toBe(ok);
      if (!ok) refused++;
      model = ok ? next : { ...model, index: next.index };
      expectMatches(store.view(), model);
      if (step % 50 === 0) kept.push({ view: store.view(), model });
    }
    for (const k of kept) expectMatches(k.view, k.model);
    expect(refused).toBeGreaterThan(20); // the run exercised refusals, not only successes
    expect(model.tasks.size).toBeGreaterThan(20);
  });
});
