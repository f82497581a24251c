import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, registerModel, type Model, type Operation, type Outcome, type RegisterInput, type RegisterOutput } from '../src/linearizability/index.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;
const reg = registerModel();

const put = (value: string, call: number, ret: number | undefined, outcome: Outcome = 'ok', key = 'x'): RegOp => ({ input: { key, kind: 'put', value }, call, ret, outcome });
const get = (value: string, call: number, ret: number, key = 'x'): RegOp => ({ input: { key, kind: 'get' }, output: value, call, ret, outcome: 'ok' });
const verdict = (history: RegOp[]) => checkLinearizable(reg, history).verdict;

describe('linearizability checker on a register', () => {
  it('accepts a sequential history and reads that overlap a write seeing either value', () => {
    expect(verdict([put('a', 1, 2), get('a', 3, 4)])).toBe('linearizable');
    expect(verdict([put('a', 1, 2), put('b', 3, 6), get('a', 4, 5)])).toBe('linearizable');
    expect(verdict([put('a', 1, 2), put('b', 3, 6), get('b', 4, 5)])).toBe('linearizable');
    // two overlapping writes: later reads may see them in either order, but agree on one
    expect(verdict([put('a', 1, 5), put('b', 2, 6), get('a', 7, 8), get('a', 9, 10)])).toBe('linearizable');
  });

  it('refuses a stale read, a read of a value never written, and a read of the initial value after a write', () => {
    expect(verdict([put('a', 1, 2), put('b', 3, 4), get('a', 5, 6)])).toBe('not-linearizable');
    expect(verdict([get('zzz', 1, 2)])).toBe('not-linearizable');
    expect(verdict([put('a', 1, 2), get('', 3, 4)])).toBe('not-linearizable');
  });

  it('refuses the new-old inversion: one read sees the new value, a later read the old one, both during the write', () => {
    // The classic counter-example (Herlihy & Wing; Knossos' "read a new value then an old one").
    expect(verdict([put('a', 0, 1), put('b', 2, 20), get('b', 3, 4), get('a', 5, 6)])).toBe('not-linearizable');
  });

  it('refuses two writes seen in opposite orders by two sequential readers', () => {
    const history = [put('a', 0, 10), put('b', 0, 10), get('a', 11, 12), get('b', 13, 14), get('a', 15, 16)];
    expect(verdict(history)).toBe('not-linearizable');
  });

  it('counts operations that touch (one returns when the other is called) as concurrent', () => {
    expect(verdict([put('a', 1, 5), get('a', 5, 6)])).toBe('linearizable');
    expect(verdict([put('a', 1, 2), put('b', 5, 7), get('a', 3, 5)])).toBe('linearizable');
  });

  it('lets an unknown write take effect any time after its call, or never', () => {
    expect(verdict([put('x', 1, undefined, 'unknown'), get('', 2, 3), get('x', 4, 5)])).toBe('linearizable');
    expect(verdict([put('x', 1, undefined, 'unknown'), get('', 2, 3)])).toBe('linearizable');
    expect(verdict([put('x', 1, undefined, 'unknown'), get('', 2, 3), get('x', 4, 5), get('', 6, 7)])).toBe('not-linearizable');
    // taking effect before it was invoked is not allowed
    expect(verdict([get('x', 1, 2), put('x', 3, undefined, 'unknown')])).toBe('not-linearizable');
    // the return time of an unknown operation means nothing
    expect(verdict([put('x', 5, 1, 'unknown'), get('x', 9, 10)])).toBe('linearizable');
  });

  it('leaves out a failed write: reading its value is a violation', () => {
    expect(verdict([put('a', 1, 2), put('f', 3, 4, 'fail'), get('a', 5, 6)])).toBe('linearizable');
    expect(verdict([put('a', 1, 2), put('f', 3, 4, 'fail'), get('f', 5, 6)])).toBe('not-linearizable');
  });

  it('checks each key on its own and names the key that fails, with the longest linearization and what blocked it', () => {
    const history = [put('a', 1, 2, 'ok', 'k1'), get('a', 3, 4, 'k1'), put('p', 1, 2, 'ok', 'k2'), put('q', 3, 4, 'ok', 'k2'), get('p', 5, 6, 'k2')];
    const r = checkLinearizable(reg, history);
    expect(r.verdict).toBe('not-linearizable');
    expect(r.partitions).toBe(2);
    expect(r.failure?.partition).toBe('k2');
    expect(r.failure?.longest.map((s) => s.op.input)).toEqual([
      { key: 'k2', kind: 'put', value: 'p' },
      { key: 'k2', kind: 'put', value: 'q' },
    ]);
    expect(r.failure?.longest.at(-1)?.stateAfter).toBe('"q"');
    expect(r.failure?.blocked.map((op) => op.output)).toEqual(['p']);
  });

  it('checks every partition and lists each that fails', () => {
    const history = [put('a', 1, 2, 'ok', 'k1'), get('zz', 3, 4, 'k1'), put('p', 1, 2, 'ok', 'k2'), get('p', 3, 4, 'k2'), get('yy', 1, 2, 'k3')];
    const r = checkLinearizable(reg, history);
    expect(r.failures.map((f) => f.partition).sort()).toEqual(['k1', 'k3']);
  });

  it('answers unknown when the search runs out of steps', () => {
    // Many overlapping unknown writes and no read to pin them: a large search space.
    const history: RegOp[] = [];
    for (let i = 0; i < 12; i++) history.push(put(`v${i}`, i, undefined, 'unknown'));
    history.push(get('nope', 20, 21));
    const r = checkLinearizable(reg, history, { maxSteps: 50 });
    expect(r.verdict).toBe('unknown');
    expect(r.undecided).toEqual(['x']);
    expect(checkLinearizable(reg, history, { timeoutMs: 0 }).verdict).toBe('unknown');
    expect(checkLinearizable(reg, history).verdict).toBe('not-linearizable');
  });

  it('refuses an ok operation without a return time', () => {
    expect(() => checkLinearizable(reg, [{ input: { key: 'x', kind: 'get' }, output: '', call: 1, outcome: 'ok' }])).toThrow(/without a return time/);
  });
});

// A FIFO queue, to check the checker with a model whose state is more than one value.
type QueueInput = { kind: 'enq'; value: number } | { kind: 'deq' };
const queue: Model<readonly number[], QueueInput, number | null> = {
  init: () => [],
  step: (state, input, output) => {
    if (input.kind === 'enq') return [...state, input.value];
    const head = state.length > 0 ? state[0]! : null;
    if (output !== undefined && output !== head) return undefined;
    return state.slice(1);
  },
  stateKey: (state) => state.join(','),
};
const enq = (value: number, call: number, ret: number): Operation<QueueInput, number | null> => ({ input: { kind: 'enq', value }, call, ret, outcome: 'ok' });
const deq = (value: number | null, call: number, ret: number): Operation<QueueInput, number | null> => ({ input: { kind: 'deq' }, output: value, call, ret, outcome: 'ok' });

describe('linearizability checker on a FIFO queue (Herlihy & Wing)', () => {
  it('accepts dequeues in either order of overlapping enqueues', () => {
    expect(checkLinearizable(queue, [enq(1, 0, 10), enq(2, 0, 10), deq(2, 11, 12), deq(1, 13, 14)]).verdict).toBe('linearizable');
  });

  it('refuses a dequeue order that contradicts the real-time order of the enqueues', () => {
    expect(checkLinearizable(queue, [enq(1, 0, 1), enq(2, 2, 3), deq(2, 4, 5)]).verdict).toBe('not-linearizable');
  });

  it('refuses the same element dequeued twice and an empty answer from a queue that must hold something', () => {
    expect(checkLinearizable(queue, [enq(1, 0, 1), deq(1, 2, 3), deq(1, 2, 3)]).verdict).toBe('not-linearizable');
    expect(checkLinearizable(queue, [enq(1, 0, 1), deq(null, 2, 3)]).verdict).toBe('not-linearizable');
  });
});

// Histories made by a real sequential register map: each operation takes effect at an instant
// inside its [call, ret] interval, in instant order. Such a history is linearizable by
// construction, whatever the overlaps, unknown answers and failures.
const planned = fc.array(
  fc.record({
    key: fc.constantFrom('k0', 'k1', 'k2'),
    isPut: fc.boolean(),
    lead: fc.integer({ min: 0, max: 6 }),
    lag: fc.integer({ min: 0, max: 6 }),
    gap: fc.integer({ min: 1, max: 3 }),
    fate: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'unknown-applied', 'unknown-lost', 'fail'),
  }),
  { minLength: 1, maxLength: 40 },
);

type Plan = { key: string; isPut: boolean; lead: number; lag: number; gap: number; fate: string }[];

function sequentialRun(plan: Plan): RegOp[] {
  const store = new Map<string, string>();
  let instant = 0;
  return plan.map((p, i) => {
    instant += p.gap * 10;
    const call = instant - p.lead;
    const ret = instant + p.lag;
    if (p.isPut) {
      const value = `v${i}`;
      if (p.fate === 'ok' || p.fate === 'unknown-applied') store.set(p.key, value);
      const outcome: Outcome = p.fate === 'ok' ? 'ok' : p.fate === 'fail' ? 'fail' : 'unknown';
      return { input: { key: p.key, kind: 'put', value }, call, ret: outcome === 'ok' ? ret : undefined, outcome };
    }
    const read = store.get(p.key) ?? '';
    const outcome: Outcome = p.fate === 'ok' ? 'ok' : p.fate === 'fail' ? 'fail' : 'unknown';
    return { input: { key: p.key, kind: 'get' }, output: outcome === 'ok' ? read : undefined, call, ret: outcome === 'ok' ? ret : undefined, outcome };
  });
}

describe('linearizability checker, property tests', () => {
  it('accepts every history of a sequential run, whatever overlaps, unknown answers and failures it has', () => {
    fc.assert(
      fc.property(planned, (plan) => checkLinearizable(reg, sequentialRun(plan)).verdict === 'linearizable'),
      { numRuns: 400 },
    );
  });

  it('refuses such a history once a read returns a value that a later completed write replaced', () => {
    fc.assert(
      fc.property(planned, fc.nat(), (plan, pick) => {
        const history = sequentialRun(plan);
        // Pairs of completed writes to one key, the first returned before the second was called.
        const puts = history.filter((op) => op.input.kind === 'put' && op.outcome === 'ok');
        const ordered = puts.flatMap((a) => puts.filter((b) => b.input.key === a.input.key && a.ret! < b.call).map((b) => [a, b] as const));
        fc.pre(ordered.length > 0);
        const [older, newer] = ordered[pick % ordered.length]!;
        const after = Math.max(newer.ret!, ...history.map((op) => op.call)) + 1;
        const stale = get((older.input as { value: string }).value, after, after + 1, older.input.key);
        return checkLinearizable(reg, [...history, stale]).verdict === 'not-linearizable';
      }),
      { numRuns: 400 },
    );
  });
});
