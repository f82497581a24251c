import { describe, expect, it } from 'vitest';
import { NodeState, TaskState, type Task } from '@flotilla/api';
import { orphanTasks, releaseTasksOfDownNode, releaseTasksOfRemovedNode } from '../src/node-down.js';
import { reconcileReplicated } from '../src/replicated/reconcile.js';
import { isLive } from '../src/slots.js';
import { apply } from './apply.js';
import { counterIds, node, service, task } from './fixtures.js';

const { TASK_STATE_RUNNING: RUNNING, TASK_STATE_FAILED: FAILED, TASK_STATE_SHUTDOWN: SHUTDOWN,
  TASK_STATE_ORPHANED: ORPHANED } = TaskState;
const HOUR = 3600_000;

const tasks: Task[] = [
  task('w1', { serviceId: 'web', slot: 1, nodeId: 'n1' }),
  task('w2', { serviceId: 'web', slot: 2, nodeId: 'n2' }),
  task('w3', { serviceId: 'web', slot: 3, nodeId: 'n1', state: FAILED, desiredState: SHUTDOWN }),
  task('d1', { serviceId: 'db', slot: 1, nodeId: 'n1' }),
];

describe('releaseTasksOfDownNode', () => {
  it('lets go of every live task on the down node and names the services to reconcile', () => {
    const down = node('n1', { state: NodeState.NODE_STATE_DOWN });
    expect(releaseTasksOfDownNode(down, tasks)).toEqual({
      actions: [
        { type: 'shutdown', taskId: 'w1', reason: 'node n1 is down' },
        { type: 'shutdown', taskId: 'd1', reason: 'node n1 is down' },
      ],
      serviceIds: ['db', 'web'],
    });
  });

  it.each([NodeState.NODE_STATE_READY, NodeState.NODE_STATE_DISCONNECTED, NodeState.NODE_STATE_UNKNOWN])(
    'does nothing for a node that is %s',
    (state) => {
      expect(releaseTasksOfDownNode(node('n1', { state }), tasks)).toEqual({ actions: [], serviceIds: [] });
    },
  );

  it('a removed node is treated the same way', () => {
    expect(releaseTasksOfRemovedNode('n2', tasks).actions).toEqual([
      { type: 'shutdown', taskId: 'w2', reason: 'node n2 was removed' },
    ]);
  });

  it('the replicated reconciler then replaces the lost tasks', () => {
    const web = service('web', { replicas: 3 });
    let state = [
      task('w1', { serviceId: 'web', slot: 1, nodeId: 'n1' }),
      task('w2', { serviceId: 'web', slot: 2, nodeId: 'n2' }),
      task('w3', { serviceId: 'web', slot: 3, nodeId: 'n1' }),
    ];
    const down = releaseTasksOfDownNode(node('n1', { state: NodeState.NODE_STATE_DOWN }), state);
    state = apply(state, down.actions);
    const actions = reconcileReplicated({ service: web, tasks: state, now: 0, newId: counterIds('new') });
    expect(actions.map((a) => (a.type === 'create' ? [a.task.id, a.task.slot, a.task.nodeId] : a))).toEqual([
      ['new-1', 1, ''],
      ['new-2', 3, ''],
    ]);
    state = apply(state, actions);
    expect(state.filter(isLive).map((t) => t.id).sort()).toEqual(['new-1', 'new-2', 'w2']);
  });
});

describe('orphanTasks', () => {
  const down = node('n1', { state: NodeState.NODE_STATE_DOWN });
  const onNode = [
    task('a', { nodeId: 'n1', state: RUNNING, desiredState: SHUTDOWN }),
    task('b', { nodeId: 'n1', state: FAILED, desiredState: SHUTDOWN }),
    task('c', { nodeId: 'n2', state: RUNNING }),
  ];

  it.each<[string, number, string[]]>([
    ['not yet after 23 hours', 23 * HOUR, []],
    ['tasks that never reported an end, after 24 hours', 24 * HOUR, ['a']],
  ])('%s', (_name, elapsed, ids) => {
    expect(orphanTasks(down, onNode, 0, elapsed).map((a) => a.taskId)).toEqual(ids);
  });

  it('uses the grace it is given and never touches a node that is up', () => {
    expect(orphanTasks(down, onNode, 0, 10, 10).map((a) => a.taskId)).toEqual(['a']);
    expect(orphanTasks(node('n1'), onNode, 0, 48 * HOUR)).toEqual([]);
  });

  it('orphaned tasks end up ORPHANED when applied', () => {
    const after = apply(onNode, orphanTasks(down, onNode, 0, 24 * HOUR));
    expect(after.find((t) => t.id === 'a')?.status?.state).toBe(ORPHANED);
  });
});
