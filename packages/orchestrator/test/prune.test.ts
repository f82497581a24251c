import { describe, expect, it } from 'vitest';
import { Cluster, TaskState, type Task } from '@flotilla/api';
import { pruneHistory } from '../src/history/prune.js';
import { historyLimit, historyToKeep } from '../src/history/limit.js';
import { service, task } from './fixtures.js';

const { TASK_STATE_FAILED: FAILED, TASK_STATE_RUNNING: RUNNING, TASK_STATE_SHUTDOWN: SHUTDOWN,
  TASK_STATE_COMPLETE: COMPLETE } = TaskState;

/** A task of slot `slot` that ended at `endedAt` and was let go. */
const dead = (id: string, slot: number, endedAt: number, extra: Partial<Parameters<typeof task>[1]> = {}): Task =>
  task(id, { slot, state: FAILED, desiredState: SHUTDOWN, createdAt: endedAt - 1, endedAt, ...extra });

describe('pruneHistory', () => {
  it.each<[string, Task[], number | undefined, string[]]>([
    ['nothing to prune under the limit', [dead('a', 1, 1), dead('b', 1, 2)], undefined, []],
    [
      'keeps the 5 most recent ended tasks of a slot by default',
      [7, 3, 1, 6, 2, 5, 4].map((at) => dead(`t${at}`, 1, at)),
      undefined,
      ['t1', 't2'],
    ],
    [
      'counts each slot on its own',
      [dead('a1', 1, 1), dead('a2', 1, 2), dead('a3', 1, 3), dead('b1', 2, 1), dead('b2', 2, 2)],
      2,
      ['a1'],
    ],
    [
      'never deletes a task that is still running, even when desired SHUTDOWN',
      [task('r', { slot: 1, state: RUNNING, desiredState: SHUTDOWN, createdAt: 0 }), dead('a', 1, 5)],
      0,
      ['a'],
    ],
    [
      'never deletes an ended task the restart supervisor has not handled yet',
      [task('f', { slot: 1, state: FAILED, desiredState: RUNNING, endedAt: 1 }), dead('a', 1, 5)],
      0,
      ['a'],
    ],
    [
      'global tasks are counted per node',
      [
        dead('n1a', 0, 1, { nodeId: 'n1' }),
        dead('n1b', 0, 2, { nodeId: 'n1' }),
        dead('n2a', 0, 3, { nodeId: 'n2' }),
      ],
      1,
      ['n1a'],
    ],
    [
      'services are kept apart',
      [dead('a', 1, 1), dead('b', 1, 2, { serviceId: 'other' })],
      1,
      [],
    ],
    [
      'keep 0 deletes every ended task, oldest first',
      [dead('b', 1, 2, { state: COMPLETE }), dead('a', 2, 1), task('live', { slot: 3 })],
      0,
      ['a', 'b'],
    ],
  ])('%s', (_name, tasks, keep, expected) => {
    expect(pruneHistory(tasks, keep === undefined ? {} : { keep })).toEqual(expected);
  });

  it.each([-1, 1.5, Number.NaN])('refuses keep=%s', (keep) => {
    expect(() => pruneHistory([], { keep })).toThrow(/keep must be a whole number/);
  });
});

describe('history limit', () => {
  const cluster = (limit?: number): Cluster => Cluster.fromPartial({ id: 'c', spec: limit === undefined ? {} : { orchestration: { taskHistoryRetentionLimit: limit } } });

  it('is the cluster spec\'s once there is a cluster object, 0 included; the fallback before', () => {
    expect(historyLimit(cluster(2), 5)).toBe(2);
    expect(historyLimit(cluster(0), 5)).toBe(0);
    expect(historyLimit(undefined, 5)).toBe(5);
    expect(historyLimit(cluster(), 5)).toBe(5);
  });

  it('keeps at least max attempts + 1 for a service whose restart policy counts them', () => {
    expect(historyToKeep(service('s', { restart: { maxAttempts: 3 } }), 1)).toBe(4);
    expect(historyToKeep(service('s', { restart: { maxAttempts: 3 } }), 10)).toBe(10);
    expect(historyToKeep(service('s'), 0)).toBe(0);
  });
});
