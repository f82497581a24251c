// WorkLoop with real timers: batching within a window, one pass at a time, failed work retried.
import { waitFor } from './support/fixtures.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { WorkLoop } from '../src/work-loop.js';

const log = pino({ level: 'silent' });

function loop(windowMs: number, run: (w: Set<string>) => Promise<void>): WorkLoop<Set<string>> {
  return new WorkLoop<Set<string>>({
    windowMs,
    empty: () => new Set(),
    merge: (into, from) => from.forEach((x) => into.add(x)),
    run,
    log,
  });
}

describe('WorkLoop', () => {
  it('runs work added in one event-loop turn as one pass', async () => {
    const passes: string[][] = [];
    const l = loop(0, async (w) => void passes.push([...w].sort()));
    l.add((w) => w.add('a'));
    l.add((w) => w.add('b'));
    l.add((w) => w.add('a'));
    await waitFor(() => passes.length === 1, { what: 'one pass' });
    expect(passes).toEqual([['a', 'b']]);
    l.add((w) => w.add('c'));
    await waitFor(() => passes.length === 2, { what: 'a second pass' });
    expect(passes[1]).toEqual(['c']);
    await l.stop();
  });

  it('never overlaps passes: work added during a pass gets the next one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const passes: string[][] = [];
    let running = 0;
    let overlapped = false;
    const l = loop(0, async (w) => {
      running++;
      overlapped ||= running > 1;
      passes.push([...w].sort());
      if (passes.length === 1) await gate;
      running--;
    });
    l.add((w) => w.add('a'));
    await waitFor(() => passes.length === 1, { what: 'first pass running' });
    l.add((w) => w.add('b'));
    l.add((w) => w.add('c'));
    release();
    await waitFor(() => passes.length === 2, { what: 'the second pass' });
    expect(passes).toEqual([['a'], ['b', 'c']]);
    expect(overlapped).toBe(false);
    await l.stop();
  });

  it('gives a failed pass its work back and runs it again with what arrived meanwhile', async () => {
    const passes: string[][] = [];
    const l = loop(0, async (w) => {
      passes.push([...w].sort());
      if (passes.length === 1) {
        l.add((x) => x.add('late'));
        throw new Error('version conflict');
      }
    });
    l.add((w) => w.add('a'));
    await waitFor(() => passes.length === 2, { what: 'the retry' });
    expect(passes).toEqual([['a'], ['a', 'late']]);
    expect(l.stats).toEqual({ passes: 2, failedPasses: 1 });
    await l.stop();
  });

  it('stop() cancels a pass not yet begun and ignores later work', async () => {
    let ran = 0;
    const l = loop(0, async () => void ran++);
    l.add((w) => w.add('a'));
    const stopped = l.stop();
    l.add((w) => w.add('b'));
    await stopped;
    // The pass would have been armed with setImmediate: two turns later it would have run.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(0);
    expect(l.stats.passes).toBe(0);
  });
});
