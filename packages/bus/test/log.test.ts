import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { logLines } from './support/fixtures.js';

describe('createLogger', () => {
  it('writes JSON lines carrying component and node id; children add object ids', async () => {
    const { lines, destination } = logLines();
    const log = createLogger({ component: 'scheduler', nodeId: 'n1', level: 'info', destination });
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
