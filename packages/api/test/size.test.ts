import { describe, expect, it } from 'vitest';
import { formatBytes, formatNanoCpus, parseMemoryBytes, parseNanoCpus, SpecError } from '../src/index.js';

describe('parseMemoryBytes', () => {
  it.each([
    ['512M', 512 * 1024 * 1024],
    ['1g', 1024 ** 3],
    ['1024k', 1024 * 1024],
    ['100', 100],
    ['100b', 100],
    ['512mb', 512 * 1024 * 1024],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2T', 2 * 1024 ** 4],
    [' 64m ', 64 * 1024 * 1024],
    ['0', 0],
  ])('%s -> %d', (text, bytes) => {
    expect(parseMemoryBytes(text)).toBe(bytes);
  });

  it.each([
    ['5x', 'invalid memory size "5x": unknown unit "x" (use b, k, m, g, t or p)'],
    ['', 'invalid memory size "": expected a number with an optional unit, like 512m or 1g'],
    ['-1m', 'invalid memory size "-1m": expected a number with an optional unit, like 512m or 1g'],
    ['m', 'invalid memory size "m": expected a number with an optional unit, like 512m or 1g'],
    ['1gib', 'invalid memory size "1gib": unknown unit "gib" (use b, k, m, g, t or p)'],
  ])('rejects %j', (text, message) => {
    expect(() => parseMemoryBytes(text)).toThrow(SpecError);
    expect(() => parseMemoryBytes(text)).toThrow(message);
  });
});

describe('parseNanoCpus', () => {
  it.each([
    ['0.5', 500_000_000],
    ['2', 2_000_000_000],
    ['1.25', 1_250_000_000],
    ['.1', 100_000_000],
    ['0.000000001', 1],
    ['0', 0],
  ])('%s -> %d', (text, nano) => {
    expect(parseNanoCpus(text)).toBe(nano);
  });

  it.each([
    ['abc', 'invalid CPU count "abc": expected a decimal number of CPUs, like 0.5 or 2'],
    ['', 'invalid CPU count "": expected a decimal number of CPUs, like 0.5 or 2'],
    ['-1', 'invalid CPU count "-1": expected a decimal number of CPUs, like 0.5 or 2'],
    ['0.0000000001', 'invalid CPU count "0.0000000001": more precise than one nano-CPU (at most 9 decimals)'],
  ])('rejects %j', (text, message) => {
    expect(() => parseNanoCpus(text)).toThrow(message);
  });
});

describe('formatting', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(100)).toBe('100B');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512MiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5GiB');
  });
  it('formats nano-CPUs as a decimal', () => {
    expect(formatNanoCpus(500_000_000)).toBe('0.5');
    expect(formatNanoCpus(2_000_000_000)).toBe('2');
    expect(formatNanoCpus(parseNanoCpus('1.25'))).toBe('1.25');
  });
});
