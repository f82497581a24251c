import { LogSource, type LogChunk } from '@flotilla/api';
import { silentLogger } from '@flotilla/bus';
import { waitFor } from '@flotilla/testkit';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LogStream } from '../../src/logs/log-stream.js';

// The engine stream is a PassThrough fed by the test: the flow control under test is the
// real LogStream; only where the bytes come from differs from production.
const streams: LogStream[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.cancel();
});

function setup(window: number, maxLines = 10) {
  const sent: LogChunk[] = [];
  const done: string[] = [];
  const source = new PassThrough();
  const stream = new LogStream({ streamId: 's1', window, publish: (c) => sent.push(c), onDone: (id) => done.push(id), log: silentLogger(), maxLinesPerChunk: maxLines, timings: { flushMs: 5 } });
  streams.push(stream);
  stream.attach(source, false);
  return { sent, done, source, stream };
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');
const texts = (chunks: LogChunk[]) => chunks.flatMap((c) => c.lines.map((l) => l.text));

describe('LogStream flow control', () => {
  it('sends no more than the window, pauses the source, and loses nothing once acked', async () => {
    const { sent, source, stream } = setup(2);
    source.write(lines(1, 100));
    await waitFor(() => sent.length === 2 && source.isPaused(), { what: 'a full window and a paused source' });
    expect(sent.map((c) => c.seq)).toEqual([1, 2]);
    source.end();
    let acked = 0;
    while (!sent.at(-1)?.end) {
      await waitFor(() => sent.length > acked, { what: `chunk ${acked + 1}` });
      acked = sent.at(-1)!.seq;
      expect(stream.ack(acked)).toBe(true);
    }
    expect(texts(sent)).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i + 1}`));
    expect(sent.map((c) => c.seq)).toEqual(sent.map((_, i) => i + 1));
    expect(sent.at(-1)).toMatchObject({ end: true, error: '' });
    expect(sent.every((c) => c.lines.every((l) => l.source === LogSource.LOG_SOURCE_STDOUT))).toBe(true);
  });

  it('refuses an ack for a chunk not sent and stops when the reader cancels', async () => {
    const { sent, done, source, stream } = setup(4);
    source.write('one\n');
    await waitFor(() => sent.length === 1, { what: 'the first chunk' });
    expect(stream.ack(5)).toBe(false);
    stream.cancel();
    expect(done).toEqual(['s1']);
    expect(source.destroyed).toBe(true);
  });

  it('ends with the reason when the log cannot be opened', () => {
    const sent: LogChunk[] = [];
    const s = new LogStream({ streamId: 's2', window: 1, publish: (c) => sent.push(c), onDone: () => {}, log: silentLogger() });
    s.failed('no such container');
    expect(sent).toEqual([{ streamId: 's2', seq: 1, lines: [], end: true, error: 'no such container' }]);
  });
});
