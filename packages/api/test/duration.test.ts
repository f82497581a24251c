import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, SpecError } from '../src/index.js';

describe('parseDuration (Go syntax, returns ms)', () => {
  it.each([
    ['1h2m3s', 3_723_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['0s', 0],
    ['0', 0],
    ['-0s', 0],
    ['-100us', 0],
    ['-2m', -120_000],
    ['+3s', 3000],
    ['.5s', 500],
    ['5.s', 5000],
    ['1500us', 1],
    ['1500µs', 1],
    ['1500μs', 1],
    ['999999ns', 0],
    ['2000000ns', 2],
    ['1h30m', 5_400_000],
    ['8760h', 31_536_000_000],
    ['1m0.001s', 60_001],
    ['10s500ms', 10_500],
  ])('%s -> %d', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['5x', 'invalid duration "5x": unknown unit "x" (use ns, us, ms, s, m or h)'],
    ['5', 'invalid duration "5": missing unit after "5" (use ns, us, ms, s, m or h)'],
    ['1h5', 'invalid duration "1h5": missing unit after "5" (use ns, us, ms, s, m or h)'],
    ['', 'invalid duration "": empty'],
    ['-', 'invalid duration "-": empty'],
    ['s', 'invalid duration "s": expected a number at "s"'],
    ['1 s', 'invalid duration "1 s": unknown unit " s" (use ns, us, ms, s, m or h)'],
    ['.s', 'invalid duration ".s": expected a number at ".s"'],
    ['1S', 'invalid duration "1S": unknown unit "S" (use ns, us, ms, s, m or h)'],
  ])('rejects %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(new SpecError('duration', message));
    try {
      parseDuration(text);
    } catch (err) {
      expect((err as SpecError).field).toBe('duration');
      expect((err as Error).message).toBe(message);
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [3_723_000, '1h2m3s'],
    [60_000, '1m0s'],
    [3_600_000, '1h0m0s'],
    [-120_000, '-2m0s'],
    [60_001, '1m0.001s'],
  ])('%d -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
