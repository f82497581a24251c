import { LogSource } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { ChunkWindow } from '../../src/logs/chunk-window.js';
import { LineBatch } from '../../src/logs/line-batch.js';
import { LogDecoder } from '../../src/logs/log-decoder.js';

function frame(type: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const OUT = LogSource.LOG_SOURCE_STDOUT;
const ERR = LogSource.LOG_SOURCE_STDERR;
const T1 = '2026-11-25T22:00:00.123456789Z';

describe('LogDecoder', () => {
  it('splits multiplexed frames into stdout and stderr lines with their timestamps, however the bytes are cut', () => {
    const bytes = Buffer.concat([frame(1, `${T1} hello\n${T1} wor`), frame(2, `${T1} oops\n`), frame(1, 'ld\n')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new LogDecoder(true);
      const lines = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut)), ...d.end()];
      expect(lines).toEqual([
        { source: OUT, timestamp: T1, text: 'hello' },
        { source: ERR, timestamp: T1, text: 'oops' },
        { source: OUT, timestamp: T1, text: 'world' },
      ]);
    }
  });

  it('takes a TTY stream as raw stdout, drops the \\r of CRLF, and keeps a last line without newline', () => {
    const d = new LogDecoder(false);
    expect(d.push(Buffer.from(`${T1} one\r\n${T1} tw`))).toEqual([{ source: OUT, timestamp: T1, text: 'one' }]);
    expect(d.push(Buffer.from('o'))).toEqual([]);
    expect(d.end()).toEqual([{ source: OUT, timestamp: T1, text: 'two' }]);
  });

  it('keeps a line without a timestamp whole and keeps UTF-8 split across frames intact', () => {
    const d = new LogDecoder(true);
    const word = Buffer.from('héllo\n');
    const first = frame(1, '');
    const a = Buffer.concat([first.subarray(0, 4), Buffer.from([0, 0, 0, 2]), word.subarray(0, 2)]);
    const b = Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, word.length - 2]), word.subarray(2)]);
    expect([...d.push(a), ...d.push(b)]).toEqual([{ source: OUT, timestamp: '', text: 'héllo' }]);
  });
});

describe('ChunkWindow', () => {
  it('numbers chunks from 1, fills up, and reopens on a cumulative ack', () => {
    const w = new ChunkWindow(2);
    expect([w.next(), w.next()]).toEqual([1, 2]);
    expect(w.full).toBe(true);
    expect(() => w.next()).toThrow('full');
    expect(w.ack(1)).toBe(true);
    expect(w.next()).toBe(3);
    expect(w.ack(3)).toBe(true);
    expect(w.inFlight).toBe(0);
    expect(w.ack(2)).toBe(true); // an old ack changes nothing
    expect(w.inFlight).toBe(0);
  });

  it('refuses an ack of a chunk never sent and a window that is not a positive whole number', () => {
    const w = new ChunkWindow(4);
    w.next();
    expect(w.ack(2)).toBe(false);
    expect(w.inFlight).toBe(1);
    expect(() => new ChunkWindow(0)).toThrow('positive whole number');
  });
});

describe('LineBatch', () => {
  const line = (text: string) => ({ source: OUT, timestamp: '', text });

  it('takes chunks bounded by lines and bytes, but always at least one line', () => {
    const b = new LineBatch(3, 30);
    b.add(['a', 'b', 'c', 'd'].map(line));
    expect(b.ripe).toBe(true);
    expect(b.take().map((l) => l.text)).toEqual(['a', 'b', 'c']);
    expect(b.take().map((l) => l.text)).toEqual(['d']);
    b.add([line('x'.repeat(100)), line('y')]);
    expect(b.take().map((l) => l.text.length)).toEqual([100]);
    expect(b.take().map((l) => l.text)).toEqual(['y']);
    expect(b.size).toBe(0);
    expect(b.byteSize).toBe(0);
  });
});
