import { describe, expect, it } from 'vitest';
import { NodeAvailability, NodeState, TaskState, type Task } from '@flotilla/api';
import { scheduleBatch, type ScheduleResult } from '../src/schedule-batch.js';
import { GiB, node, pending, task } from './fixtures.js';

function perNode(result: ScheduleResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of result.assignments) counts[a.nodeId] = (counts[a.nodeId] ?? 0) + 1;
  return counts;
}

describe('scheduleBatch: spread', () => {
  it('spreads 10 tasks over 3 nodes 4/3/3, in node-id order on ties', () => {
    const r = scheduleBatch(pending('t', 10), [node('n3'), node('n1'), node('n2')], []);
    expect(r.unassigned).toEqual([]);
    expect(r.assignments.map((a) => a.nodeId)).toEqual(['n1', 'n2', 'n3', 'n1', 'n2', 'n3', 'n1', 'n2', 'n3', 'n1']);
    expect(perNode(r)).toEqual({ n1: 4, n2: 3, n3: 3 });
  });

  it('prefers nodes with fewer tasks of the same service over fewer tasks overall', () => {
    const current: Task[] = [
      task('a1', { nodeId: 'n1', serviceId: 'svc' }),
      ...pending('other', 5, { nodeId: 'n2', serviceId: 'other' }),
    ];
    const r = scheduleBatch(pending('t', 1), [node('n1'), node('n2')], current);
    expect(r.assignments).toEqual([{ taskId: 't-01', nodeId: 'n2' }]);
  });

  it('breaks a tie on this service by fewest tasks overall', () => {
    const current = pending('other', 2, { nodeId: 'n1', serviceId: 'other' });
    const r = scheduleBatch(pending('t', 1), [node('n1'), node('n2')], current);
    expect(r.assignments).toEqual([{ taskId: 't-01', nodeId: 'n2' }]);
  });

  it('ignores tasks that have ended or are being shut down when counting', () => {
    const current = pending('old', 3, { nodeId: 'n1', serviceId: 'svc', state: TaskState.TASK_STATE_FAILED });
    const r = scheduleBatch(pending('t', 1), [node('n2'), node('n1')], current);
    expect(r.assignments).toEqual([{ taskId: 't-01', nodeId: 'n1' }]);
  });

  it('fills back towards balance when nodes start uneven', () => {
    const current = pending('x', 3, { nodeId: 'n1' });
    const r = scheduleBatch(pending('t', 3), [node('n1'), node('n2'), node('n3')], current);
    expect(perNode(r)).toEqual({ n2: 2, n3: 1 });
  });

  it('keeps the order of the pending list and does not modify its inputs', () => {
    const tasks = pending('t', 4);
    const nodes = [node('n1'), node('n2')];
    const before = JSON.stringify({ tasks, nodes });
    const r = scheduleBatch(tasks, nodes, []);
    expect(r.assignments.map((a) => a.taskId)).toEqual(['t-01', 't-02', 't-03', 't-04']);
    expect(JSON.stringify({ tasks, nodes })).toBe(before);
  });
});

describe('scheduleBatch: filters in the batch', () => {
  it('never places on a drained node', () => {
    const nodes = [node('n1'), node('n2', { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN }), node('n3')];
    const r = scheduleBatch(pending('t', 6), nodes, []);
    expect(perNode(r)).toEqual({ n1: 3, n3: 3 });
  });

  it('skips a node with insufficient memory and counts reservations as it places', () => {
    const nodes = [node('small', { memoryBytes: 1 * GiB }), node('big', { memoryBytes: 8 * GiB })];
    const r = scheduleBatch(pending('t', 5, { memoryBytes: 2 * GiB }), nodes, []);
    expect(r.assignments.map((a) => a.nodeId)).toEqual(['big', 'big', 'big', 'big']);
    expect(r.unassigned).toEqual([
      { taskId: 't-05', reason: 'no suitable node (2 nodes have insufficient resources)' },
    ]);
  });

  it('places only where constraints hold', () => {
    const nodes = [
      node('n1', { labels: { storage: 'ssd' } }),
      node('n2', { labels: { storage: 'hdd' } }),
      node('n3', { labels: { storage: 'ssd' } }),
    ];
    const r = scheduleBatch(pending('t', 4, { constraints: ['node.labels.storage==ssd'] }), nodes, []);
    expect(perNode(r)).toEqual({ n1: 2, n3: 2 });
  });

  it('a task pinned to a node (global) is checked against that node only', () => {
    const nodes = [node('n1'), node('n2', { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN })];
    const r = scheduleBatch([task('g1', { nodeId: 'n1', state: TaskState.TASK_STATE_PENDING }),
      task('g2', { nodeId: 'n2', state: TaskState.TASK_STATE_PENDING }),
      task('g3', { nodeId: 'gone', state: TaskState.TASK_STATE_PENDING })], nodes, []);
    expect(r.assignments).toEqual([{ taskId: 'g1', nodeId: 'n1' }]);
    expect(r.unassigned).toEqual([
      { taskId: 'g2', reason: 'no suitable node (1 node not available for new tasks)' },
      { taskId: 'g3', reason: 'no suitable node (node gone is not in the cluster)' },
    ]);
  });
});

describe('scheduleBatch: the whole task table as currentTasks', () => {
  it('does not count a pinned pending task against its own node', () => {
    const g = task('g1', { nodeId: 'n1', state: TaskState.TASK_STATE_PENDING, memoryBytes: 3 * GiB });
    const r = scheduleBatch([g], [node('n1', { memoryBytes: 4 * GiB })], [g]);
    expect(r.assignments).toEqual([{ taskId: 'g1', nodeId: 'n1' }]);
  });
});

describe('scheduleBatch: pending reasons', () => {
  it.each<[string, Parameters<typeof node>[1][], Parameters<typeof task>[1], string]>([
    ['no nodes at all', [], {}, 'no suitable node (no nodes in the cluster)'],
    [
      'one drained, two full',
      [
        { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN },
        { memoryBytes: 1 * GiB },
        { memoryBytes: 1 * GiB },
      ],
      { memoryBytes: 2 * GiB },
      'no suitable node (1 node not available for new tasks; 2 nodes have insufficient resources)',
    ],
    [
      'down, paused, constraint',
      [
        { state: NodeState.NODE_STATE_DOWN },
        { availability: NodeAvailability.NODE_AVAILABILITY_PAUSE },
        { labels: { storage: 'hdd' } },
        {},
      ],
      { constraints: ['node.labels.storage==ssd'] },
      'no suitable node (1 node not ready; 1 node not available for new tasks; 2 nodes do not satisfy node.labels.storage==ssd)',
    ],
    [
      'each node counted once, under the first filter that rejects it',
      [{ state: NodeState.NODE_STATE_DOWN, availability: NodeAvailability.NODE_AVAILABILITY_DRAIN, memoryBytes: 0 }],
      { memoryBytes: 1 },
      'no suitable node (1 node not ready)',
    ],
  ])('%s', (_name, nodeOptions, taskOptions, reason) => {
    const nodes = nodeOptions.map((o, i) => node(`n${i + 1}`, o));
    const r = scheduleBatch([task('t', taskOptions)], nodes, []);
    expect(r.assignments).toEqual([]);
    expect(r.unassigned).toEqual([{ taskId: 't', reason }]);
  });
});
