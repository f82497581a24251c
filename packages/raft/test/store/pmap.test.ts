import { describe, expect, it } from 'vitest';
import { hashString, PMap } from '../../src/store/pmap.js';

/** Deterministic pseudo-random sequence so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

function sorted<V>(m: PMap<V>): Array<[string, V]> {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Two distinct keys with equal 32-bit hashes (found by a birthday search over a fixed key set). */
function collidingPair(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const k = `key-${i}`;
    const h = hashString(k);
    const other = seen.get(h);
    if (other !== undefined) return [other, k];
    seen.set(h, k);
  }
}

describe('PMap', () => {
  it('agrees with Map over a long random sequence of sets and deletes', () => {
    const rand = rng(42);
    let p = PMap.empty<number>();
    const m = new Map<string, number>();
    for (let step = 0; step < 20_000; step++) {
      const key = `k${Math.floor(rand() * 3000)}`;
      if (rand() < 0.6) {
        p = p.set(key, step);
        m.set(key, step);
      } else {
        p = p.delete(key);
        m.delete(key);
      }
      if (step % 97 === 0) {
        expect(p.size).toBe(m.size);
        for (const [k, v] of m) expect(p.get(k)).toBe(v);
      }
    }
    expect(sorted(p)).toEqual([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  });

  it('old versions are untouched by later writes', () => {
    const v1 = PMap.empty<string>().set('a', '1').set('b', '2');
    const v2 = v1.set('a', 'changed').delete('b').set('c', '3');
    expect(sorted(v1)).toEqual([['a', '1'], ['b', '2']]);
    expect(sorted(v2)).toEqual([['a', 'changed'], ['c', '3']]);
  });

  it('returns the same map for no-op writes', () => {
    const v = PMap.empty<number>().set('a', 1);
    expect(v.set('a', 1)).toBe(v);
    expect(v.delete('zz')).toBe(v);
  });

  it('handles keys whose hashes collide', () => {
    const [a, b] = collidingPair();
    expect(hashString(a)).toBe(hashString(b));
    let p = PMap.empty<string>().set(a, 'A').set(b, 'B').set('other', 'O');
    expect(p.get(a)).toBe('A');
    expect(p.get(b)).toBe('B');
    expect(p.size).toBe(3);
    p = p.set(b, 'B2');
    expect(p.get(b)).toBe('B2');
    p = p.delete(a);
    expect(p.get(a)).toBeUndefined();
    expect(p.get(b)).toBe('B2');
    expect(p.size).toBe(2);
    p = p.delete(b).delete('other');
    expect(p.size).toBe(0);
    expect([...p.values()]).toEqual([]);
  });

  it('keeps colliding keys intact while many other keys come and go around them', () => {
    const [a, b] = collidingPair();
    let p = PMap.empty<string>().set(a, 'A').set(b, 'B');
    const others = Array.from({ length: 5000 }, (_, i) => `other-${i}`);
    for (const k of others) p = p.set(k, k);
    expect(p.size).toBe(5002);
    expect(p.get(a)).toBe('A');
    expect(p.get(b)).toBe('B');
    for (const k of others) expect(p.get(k)).toBe(k);
    for (const k of others) p = p.delete(k);
    expect(sorted(p)).toEqual([a, b].sort().map((k) => [k, k === a ? 'A' : 'B']));
    p = p.delete(a);
    expect(sorted(p)).toEqual([[b, 'B']]);
  });
});
