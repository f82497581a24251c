import { describe, expect, it } from 'vitest';
import { createLogger, RefusalLog } from '../src/index.js';
import { logLines, waitFor } from './support/fixtures.js';

function setup(opts: { intervalMs?: number; maxSources?: number } = {}) {
  const { destination, lines } = logLines();
  let clock = 1_000_000;
  const log = createLogger({ component: 'gossip', nodeId: 'n1', destination });
  const refusals = new RefusalLog({ log, what: 'gossip', noun: 'frames', nouns: { 'udp-oversize': 'datagrams' }, now: () => clock, timer: false, ...opts });
  const flushed = async () => {
    await new Promise((r) => setImmediate(r));
    return lines.map((l) => String(l.msg));
  };
  return { refusals, lines, flushed, advance: (ms: number) => (clock += ms) };
}

describe('RefusalLog', () => {
  it('logs the first refusal at once and the rest as one line per interval per cause', async () => {
    const { refusals, flushed, advance, lines } = setup();
    for (let i = 0; i < 1000; i++) refusals.refuse('bad-key', `10.0.0.${i % 3}`);
    for (let i = 0; i < 10; i++) refusals.refuse('oversize', '10.0.0.9', 'length prefix 4294967295 > 1048576');
    expect(await flushed()).toEqual([
      'gossip: refused a frame (cause=bad-key, from 10.0.0.0); more are summed up every 30 s',
      'gossip: refused a frame (cause=oversize, from 10.0.0.9: length prefix 4294967295 > 1048576); more are summed up every 30 s',
    ]);
    advance(29_999);
    refusals.tick();
    expect(await flushed()).toHaveLength(2);
    advance(1);
    refusals.tick();
    expect((await flushed()).slice(2)).toEqual([
      'gossip: refused 999 frames in the last 30 s (cause=bad-key, from 3 addresses, e.g. 10.0.0.1, 10.0.0.2, 10.0.0.0)',
      'gossip: refused 9 frames in the last 30 s (cause=oversize, from 1 address, e.g. 10.0.0.9)',
    ]);
    expect(lines[2]).toMatchObject({ level: 40, component: 'gossip', nodeId: 'n1', cause: 'bad-key', refused: 999, sources: 3 });
    expect(lines[3]).toMatchObject({ detail: 'length prefix 4294967295 > 1048576' });
    // A flood that goes on: one line per interval per cause, however many refusals.
    for (let i = 0; i < 5000; i++) refusals.refuse('bad-key', '10.0.0.1');
    advance(30_000);
    refusals.tick();
    expect((await flushed()).slice(4)).toEqual(['gossip: refused 5000 frames in the last 30 s (cause=bad-key, from 1 address, e.g. 10.0.0.1)']);
    expect(refusals.counts()).toEqual([{ cause: 'bad-key', count: 6000 }, { cause: 'oversize', count: 10 }]);
  });

  it('after a quiet interval the next refusal is news again; a quiet cause writes nothing', async () => {
    const { refusals, flushed, advance } = setup();
    refusals.refuse('bad-key', '10.0.0.1');
    advance(30_000);
    refusals.tick(); // nothing pending: the cause goes quiet
    advance(30_000);
    refusals.tick();
    refusals.refuse('bad-key', '10.0.0.2');
    refusals.refuse('udp-oversize', '10.0.0.3');
    refusals.refuse('udp-oversize', '10.0.0.3');
    advance(10_000);
    refusals.tick(); // not due: the interval opened 10 s ago
    advance(20_000);
    refusals.tick();
    expect(await flushed()).toEqual([
      'gossip: refused a frame (cause=bad-key, from 10.0.0.1); more are summed up every 30 s',
      'gossip: refused a frame (cause=bad-key, from 10.0.0.2); more are summed up every 30 s',
      'gossip: refused a datagram (cause=udp-oversize, from 10.0.0.3); more are summed up every 30 s',
      'gossip: refused 1 datagram in the last 30 s (cause=udp-oversize, from 1 address, e.g. 10.0.0.3)',
    ]);
  });

  it('remembers a bounded number of addresses and clips what the remote party chose', async () => {
    const { refusals, lines, flushed, advance } = setup({ maxSources: 4 });
    refusals.refuse('bad-cert', 'x'.repeat(500), 'y'.repeat(5000));
    for (let i = 0; i < 100; i++) refusals.refuse('bad-cert', `10.0.1.${i}`);
    advance(30_000);
    refusals.tick();
    const msgs = await flushed();
    expect(msgs[1]).toBe('gossip: refused 100 frames in the last 30 s (cause=bad-cert, from 4+ addresses, e.g. 10.0.1.0, 10.0.1.1, 10.0.1.2)');
    expect(String(lines[0]!.from).length).toBeLessThanOrEqual(65);
    expect(String(lines[0]!.detail).length).toBeLessThanOrEqual(201);
  });

  it('stop() writes what is pending; a later refusal is news again', async () => {
    const { refusals, flushed } = setup();
    refusals.refuse('bad-key', '10.0.0.1');
    refusals.refuse('bad-key', '10.0.0.1');
    refusals.stop();
    refusals.refuse('bad-key', '10.0.0.1');
    expect(await flushed()).toEqual([
      'gossip: refused a frame (cause=bad-key, from 10.0.0.1); more are summed up every 30 s',
      'gossip: refused 1 frame in the last 0 s (cause=bad-key, from 1 address, e.g. 10.0.0.1)',
      'gossip: refused a frame (cause=bad-key, from 10.0.0.1); more are summed up every 30 s',
    ]);
    expect(refusals.count('bad-key')).toBe(3);
  });
});

describe('RefusalLog with its own timer', () => {
  it('writes the summary when the interval ends and keeps no timer once refusals stop', async () => {
    const { destination, messages: lines } = logLines();
    const refusals = new RefusalLog({ log: createLogger({ component: 'c', destination }), what: 'nats-server', verb: 'saw', noun: ['connection closed', 'connections closed'], intervalMs: 100 });
    for (let i = 0; i < 50; i++) refusals.refuse('closed-tls-handshake-failure', '10.0.0.1');
    await waitFor(() => lines.length === 2, { what: 'the summary line' });
    expect(lines[0]).toBe('nats-server: saw a connection closed (cause=closed-tls-handshake-failure, from 10.0.0.1); more are summed up every 0 s');
    expect(lines[1]).toMatch(/^nats-server: saw 49 connections closed in the last 0 s \(cause=closed-tls-handshake-failure, from 1 address, e.g. 10\.0\.0\.1\)$/);
    // The next (quiet) interval ends the window and disarms the timer.
    await waitFor(() => (refusals as unknown as { timer: unknown }).timer === undefined, { what: 'the timer to be disarmed' });
    expect(lines).toHaveLength(2);
  });
});
