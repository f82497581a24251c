import { describe, expect, it } from 'vitest';
import { exactlyOnce } from './exactly-once.js';
import type { ServiceInput, ServiceOutput, ServiceState } from './services-model.js';
import type { ChaosOp } from './workload.js';

let clock = 0;
const op = (input: ServiceInput, output: ServiceOutput | 'fail' | 'unknown', ids?: string[]): ChaosOp => {
  const call = (clock += 10);
  const ret = (clock += 5);
  if (output === 'fail' || output === 'unknown') return { client: 0, via: 'h1', input, call, outcome: output, error: 'test' };
  return { client: 0, via: 'h1', input, output, call, ret, outcome: 'ok', ...(ids ? { ids } : {}) };
};
const final = (entries: [string, ServiceState][]) => new Map(entries);

describe('exactly-once check of a chaos history', () => {
  it('counts acknowledged writes and finds nothing wrong in a clean history', () => {
    const h = [op({ name: 'a', kind: 'create', value: 'v1', replicas: 1 }, 'ok', ['id1']), op({ name: 'a', kind: 'update', value: 'v2' }, 'ok'), op({ name: 'a', kind: 'read' }, { exists: true, value: 'v2', replicas: 1 }, ['id1'])];
    expect(exactlyOnce(h, final([['a', { exists: true, value: 'v2', replicas: 1 }]]))).toEqual({ acked: 2, lost: [], duplicate: [], refusedPresent: [] });
  });

  it('finds an acknowledged last write missing from the final state', () => {
    const h = [op({ name: 'a', kind: 'create', value: 'v1', replicas: 1 }, 'ok'), op({ name: 'a', kind: 'scale', replicas: 2 }, 'ok')];
    expect(exactlyOnce(h, final([['a', { exists: true, value: 'v1', replicas: 1 }]])).lost).toHaveLength(1);
    expect(exactlyOnce(h, final([['a', { exists: true, value: 'v1', replicas: 2 }]])).lost).toHaveLength(0);
    // an rm with an unknown outcome after it may have removed it: not counted
    const withRm = [...h, op({ name: 'a', kind: 'rm' }, 'unknown')];
    expect(exactlyOnce(withRm, final([['a', { exists: false }]])).lost).toHaveLength(0);
  });

  it('finds a value created twice (two service ids) and a create refused as "exists" whose value is there', () => {
    const twice = [op({ name: 'a', kind: 'create', value: 'v1', replicas: 1 }, 'ok', ['id1']), op({ name: 'a', kind: 'read' }, { exists: true, value: 'v1', replicas: 1 }, ['id2'])];
    expect(exactlyOnce(twice, final([])).duplicate).toHaveLength(1);
    const masked = [op({ name: 'a', kind: 'create', value: 'v1', replicas: 1 }, 'exists'), op({ name: 'a', kind: 'read' }, { exists: true, value: 'v1', replicas: 1 }, ['id1'])];
    expect(exactlyOnce(masked, final([])).duplicate).toHaveLength(1);
    const listedTwice = [op({ name: 'a', kind: 'read' }, { exists: true, value: 'v1', replicas: 1 }, ['id1', 'id2'])];
    expect(exactlyOnce(listedTwice, final([])).duplicate).toHaveLength(1);
  });

  it('finds a refused write whose value is present', () => {
    const h = [op({ name: 'a', kind: 'create', value: 'v1', replicas: 1 }, 'ok'), op({ name: 'a', kind: 'update', value: 'v2' }, 'fail')];
    expect(exactlyOnce(h, final([['a', { exists: true, value: 'v2', replicas: 1 }]])).refusedPresent).toHaveLength(1);
    expect(exactlyOnce(h, final([['a', { exists: true, value: 'v1', replicas: 1 }]])).refusedPresent).toHaveLength(0);
  });
});
