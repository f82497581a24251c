import { describe, expect, it } from 'vitest';
import { taskSlotName } from '../src/task-name.js';

describe('taskSlotName', () => {
  it('names a replicated task by its slot and a global one (slot 0) by its node', () => {
    expect(taskSlotName('web', { slot: 3, nodeId: 'n1abc' })).toBe('web.3');
    expect(taskSlotName('agent', { slot: 0, nodeId: 'n1abcdefghijklmnop' })).toBe('agent.n1abcdefghijklmnop');
  });

  it('lets the caller shorten the node id', () => {
    expect(taskSlotName('agent', { slot: 0, nodeId: 'n1abcdefghijklmnop' }, (id) => id.slice(0, 4))).toBe('agent.n1ab');
    expect(taskSlotName('web', { slot: 1, nodeId: 'n1abcdefghijklmnop' }, () => 'never')).toBe('web.1');
  });
});
