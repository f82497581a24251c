import { checkLinearizable, type Operation } from '@flotilla/testkit';
import { describe, expect, it } from 'vitest';
import { servicesModel, type ServiceInput, type ServiceOutput } from './services-model.js';

type Op = Operation<ServiceInput, ServiceOutput>;
const ok = (input: ServiceInput, output: ServiceOutput, call: number, ret: number): Op => ({ input, output, call, ret, outcome: 'ok' });
const unknown = (input: ServiceInput, call: number): Op => ({ input, call, outcome: 'unknown' });
const fail = (input: ServiceInput, call: number): Op => ({ input, call, outcome: 'fail' });
const create = (value: string, replicas = 1, name = 'web'): ServiceInput => ({ name, kind: 'create', value, replicas });
const update = (value: string, name = 'web'): ServiceInput => ({ name, kind: 'update', value });
const scale = (replicas: number, name = 'web'): ServiceInput => ({ name, kind: 'scale', replicas });
const rm = (name = 'web'): ServiceInput => ({ name, kind: 'rm' });
const read = (name = 'web'): ServiceInput => ({ name, kind: 'read' });
const has = (value: string, replicas = 1): ServiceOutput => ({ exists: true, value, replicas });
const absent: ServiceOutput = { exists: false };
const verdict = (ops: Op[]) => checkLinearizable(servicesModel, ops).verdict;

describe('services model', () => {
  it('accepts a create, update, scale and rm read back in order', () => {
    expect(
      verdict([
        ok(create('v1'), 'ok', 0, 1),
        ok(read(), has('v1'), 2, 3),
        ok(update('v2'), 'ok', 4, 5),
        ok(scale(3), 'ok', 6, 7),
        ok(read(), has('v2', 3), 8, 9),
        ok(rm(), 'ok', 10, 11),
        ok(read(), absent, 12, 13),
        ok(update('v3'), 'missing', 14, 15),
      ]),
    ).toBe('linearizable');
  });

  it('accepts two concurrent creates of one name when exactly one wins', () => {
    expect(verdict([ok(create('a'), 'ok', 0, 5), ok(create('b'), 'exists', 1, 4), ok(read(), has('a'), 6, 7)])).toBe('linearizable');
    expect(verdict([ok(create('a'), 'ok', 0, 5), ok(create('b'), 'ok', 1, 4)])).toBe('not-linearizable');
  });

  it('refuses a lost create: acknowledged, then read as absent with nothing removing it', () => {
    expect(verdict([ok(create('a'), 'ok', 0, 1), ok(read(), absent, 2, 3)])).toBe('not-linearizable');
  });

  it('refuses a create answered "exists" when only its own value could be there (its retry applied twice)', () => {
    expect(verdict([ok(create('a'), 'exists', 0, 5), ok(read(), has('a'), 6, 7)])).toBe('not-linearizable');
  });

  it('refuses a stale read after an acknowledged rm, and the value of a refused update', () => {
    expect(verdict([ok(create('a'), 'ok', 0, 1), ok(rm(), 'ok', 2, 3), ok(read(), has('a'), 4, 5)])).toBe('not-linearizable');
    expect(verdict([ok(create('a'), 'ok', 0, 1), fail(update('b'), 2), ok(read(), has('b'), 4, 5)])).toBe('not-linearizable');
  });

  it('lets a write with an unknown outcome take effect later or never', () => {
    expect(verdict([ok(create('a'), 'ok', 0, 1), unknown(update('b'), 2), ok(read(), has('a'), 4, 5), ok(read(), has('b'), 6, 7)])).toBe('linearizable');
    expect(verdict([ok(create('a'), 'ok', 0, 1), unknown(rm(), 2), ok(read(), has('a'), 4, 5)])).toBe('linearizable');
    expect(verdict([ok(create('a'), 'ok', 0, 1), unknown(rm(), 2), ok(read(), absent, 4, 5), ok(read(), has('a'), 6, 7)])).toBe('not-linearizable');
  });

  it('checks each service name on its own', () => {
    const r = checkLinearizable(servicesModel, [ok(create('a', 1, 'x'), 'ok', 0, 1), ok(create('b', 1, 'y'), 'ok', 0, 1), ok(read('y'), absent, 2, 3)]);
    expect(r.partitions).toBe(2);
    expect(r.failure?.partition).toBe('y');
  });
});
