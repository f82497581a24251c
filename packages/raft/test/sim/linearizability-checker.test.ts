import { describe, expect, it } from 'vitest';
import { checkRegister, type RegisterOp } from './linearizability.js';

const op = (kind: 'put' | 'get', value: string, invoke: number, complete: number, id = `${kind}${value}${invoke}`): RegisterOp => ({
  kind,
  value,
  invoke,
  complete,
  id,
});

describe('register linearizability checker', () => {
  it('accepts sequential and overlapping histories that have a valid order', () => {
    expect(checkRegister([op('put', 'a', 1, 2), op('get', 'a', 3, 4)]).ok).toBe(true);
    // the get overlaps the put: it may see either value
    expect(checkRegister([op('put', 'a', 1, 2), op('put', 'b', 3, 6), op('get', 'a', 4, 5)]).ok).toBe(true);
    expect(checkRegister([op('put', 'a', 1, 2), op('put', 'b', 3, 6), op('get', 'b', 4, 5)]).ok).toBe(true);
    // an unfinished put may have happened at any point after its invocation, or never
    expect(checkRegister([op('put', 'x', 1, Infinity), op('get', '', 2, 3), op('get', 'x', 4, 5)]).ok).toBe(true);
    expect(checkRegister([op('put', 'x', 1, Infinity), op('get', '', 2, 3)]).ok).toBe(true);
  });

  it('rejects a stale read and a read of a value never written', () => {
    expect(checkRegister([op('put', 'a', 1, 2), op('put', 'b', 3, 4), op('get', 'a', 5, 6)]).ok).toBe(false);
    expect(checkRegister([op('get', 'zzz', 1, 2)]).ok).toBe(false);
    // two sequential reads that go back in time
    expect(
      checkRegister([op('put', 'a', 1, 2), op('put', 'b', 3, 10), op('get', 'b', 4, 5), op('get', 'a', 6, 7)]).ok,
    ).toBe(false);
  });
});
