import { describe, expect, it } from 'vitest';
import { ID_LENGTH, isId, newId, taskName } from '../src/index.js';

describe('newId', () => {
  it('is 25 lower-case base36 characters', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newId();
      expect(id).toHaveLength(ID_LENGTH);
      expect(id).toMatch(/^[0-9a-z]{25}$/);
      expect(isId(id)).toBe(true);
    }
  });

  it('does not repeat over many draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(newId());
    expect(seen.size).toBe(20_000);
  });

  it('uses the whole alphabet and varies the leading digit (not a counter or a fixed prefix)', () => {
    const chars = new Set<string>();
    const firsts = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newId();
      for (const c of id) chars.add(c);
      firsts.add(id[0] ?? '');
    }
    expect(chars.size).toBe(36);
    // 2^128 in base36 starts with 'f', so the first digit ranges over 0..f.
    expect(firsts.size).toBeGreaterThan(8);
  });
});

describe('isId', () => {
  it.each(['', 'abc', 'A'.repeat(25), 'a'.repeat(26), 'a-'.repeat(12) + 'a'])('rejects %j', (text) => {
    expect(isId(text)).toBe(false);
  });
});

describe('taskName', () => {
  it('names replicated tasks by slot', () => {
    expect(taskName('frontend', 3, 'k2x9p1m0q8w7e6r5t4y3u2i1o')).toBe('frontend.3.k2x9p1m0q8w7e6r5t4y3u2i1o');
  });
  it('names global tasks by node id', () => {
    const nodeId = newId();
    const taskId = newId();
    expect(taskName('prometheus', nodeId, taskId)).toBe(`prometheus.${nodeId}.${taskId}`);
  });
});
