import { describe, expect, it } from 'vitest';
import { PendingProposals, PendingReads, type Applied } from '../../src/member/pending.js';
import { isRaftMemberError } from '../../src/member/errors.js';

function waiter(term: number, kind: 'tx' | 'conf' = 'tx') {
  const out: { value?: Applied; error?: Error } = {};
  return { out, w: { term, kind, resolve: (a: Applied) => void (out.value = a), reject: (e: Error) => void (out.error = e) } };
}

describe('PendingProposals', () => {
  it('resolves a proposal when its entry is applied with the same term', () => {
    const p = new PendingProposals();
    const a = waiter(3);
    p.add(7, a.w);
    p.applied(6, 3, {});
    expect(a.out).toEqual({});
    p.applied(7, 3, {});
    expect(a.out.value).toEqual({ index: 7 });
    expect(p.size).toBe(0);
  });

  it('rejects LEADER_CHANGED when another term was applied at the index', () => {
    const p = new PendingProposals();
    const a = waiter(3);
    p.add(7, a.w);
    p.applied(7, 4, {});
    expect(isRaftMemberError(a.out.error, 'LEADER_CHANGED')).toBe(true);
  });

  it('rejects a refused membership change but not a transaction with empty data', () => {
    const p = new PendingProposals();
    const conf = waiter(2, 'conf');
    const tx = waiter(2, 'tx');
    p.add(1, conf.w);
    p.add(2, tx.w);
    p.applied(1, 2, { confRefused: true });
    p.applied(2, 2, { confRefused: true });
    expect(isRaftMemberError(conf.out.error, 'REFUSED')).toBe(true);
    expect(tx.out.value).toEqual({ index: 2 });
  });

  it('failAll settles only waiters up to the given index', () => {
    const p = new PendingProposals();
    const a = waiter(1);
    const b = waiter(1);
    p.add(3, a.w);
    p.add(9, b.w);
    p.failAll((i) => new Error(`gone ${i}`), 5);
    expect(a.out.error?.message).toBe('gone 3');
    expect(b.out).toEqual({});
    expect(p.has(9)).toBe(true);
  });
});

describe('PendingReads', () => {
  it('releases a read once confirmed and applied, in either order', () => {
    const r = new PendingReads();
    const got: number[] = [];
    r.add('a', { resolve: (i) => got.push(i), reject: () => undefined });
    r.add('b', { resolve: (i) => got.push(100 + i), reject: () => undefined });
    r.confirmed('a', 5, 4); // confirmed, not yet applied
    expect(got).toEqual([]);
    r.confirmed('b', 3, 4); // confirmed and already applied
    expect(got).toEqual([103]);
    r.appliedTo(5);
    expect(got).toEqual([103, 5]);
    expect(r.size).toBe(0);
  });
});
