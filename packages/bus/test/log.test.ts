import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines carrying component and node id; children add object ids', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ component: 'scheduler', nodeId: 'n1', level: 'info', destination: stream });
    log.info('plain');
    log.child({ serviceId: 's1', taskId: 't1' }).warn({ attempt: 2 }, 'task placed');
    log.debug('below the level');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, component: 'scheduler', nodeId: 'n1', msg: 'plain' });
    expect(lines[1]).toMatchObject({ level: 40, component: 'scheduler', nodeId: 'n1', serviceId: 's1', taskId: 't1', attempt: 2, msg: 'task placed' });
    expect(typeof lines[0]!.time).toBe('string');
  });
});
