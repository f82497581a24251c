import { describe, expect, it } from 'vitest';
import { NodeAvailability, NodeState, ServiceMode, TaskState, type Node, type Task } from '@flotilla/api';
import { reconcileGlobal } from '../src/global/reconcile.js';
import { isLive } from '../src/slots.js';
import { apply } from './apply.js';
import { counterIds, node, service, task } from './fixtures.js';

const svc = service('mon', { mode: ServiceMode.SERVICE_MODE_GLOBAL });
// The real wiring passes the scheduler's constraint evaluator; this package may
// not import the scheduler, so tests use the equivalent of node.labels.storage==ssd.
const ssdOnly = (n: Node): boolean => n.spec?.annotations?.labels['storage'] === 'ssd';
const anyNode = (): boolean => true;

/** Live tasks per node after a round. */
function liveNodes(tasks: Task[]): string[] {
  return tasks.filter((t) => t.serviceId === 'mon' && isLive(t)).map((t) => t.nodeId).sort();
}

describe('reconcileGlobal', () => {
  it('creates one assigned NEW task per ready, active node', () => {
    const actions = reconcileGlobal({
      service: svc, tasks: [], nodes: [node('n2'), node('n1')], isEligible: anyNode, now: 10, newId: counterIds(),
    });
    expect(actions.map((a) => (a.type === 'create' ? [a.task.nodeId, a.task.slot, a.task.status?.state, a.task.desiredState] : a))).toEqual([
      ['n1', 0, TaskState.TASK_STATE_NEW, TaskState.TASK_STATE_RUNNING],
      ['n2', 0, TaskState.TASK_STATE_NEW, TaskState.TASK_STATE_RUNNING],
    ]);
    const first = actions[0];
    expect(first?.type === 'create' && first.task.annotations?.name).toBe('mon-name.n1.id-1');
  });

  it('rejects a replicated service', () => {
    expect(() => reconcileGlobal({ service: service('web'), tasks: [], nodes: [], isEligible: anyNode, now: 0 })).toThrow(
      /as global: its mode is SERVICE_MODE_REPLICATED/,
    );
  });

  it('follows nodes joining, draining, relabelling and leaving', () => {
    const ids = counterIds();
    let nodes = [node('n1'), node('n2')];
    let tasks: Task[] = [];
    const round = (isEligible: (n: Node) => boolean = anyNode): void => {
      tasks = apply(tasks, reconcileGlobal({ service: svc, tasks, nodes, isEligible, now: 0, newId: ids }));
    };

    round();
    expect(liveNodes(tasks)).toEqual(['n1', 'n2']);
    round();
    expect(tasks).toHaveLength(2); // steady: nothing new

    nodes = [...nodes, node('n3')]; // join
    round();
    expect(liveNodes(tasks)).toEqual(['n1', 'n2', 'n3']);

    nodes = nodes.map((n) => (n.id === 'n2' ? node('n2', { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN }) : n));
    round();
    expect(liveNodes(tasks)).toEqual(['n1', 'n3']);

    nodes = nodes.map((n) => (n.id === 'n2' ? node('n2') : n)); // back to active
    round();
    expect(liveNodes(tasks)).toEqual(['n1', 'n2', 'n3']);

    nodes = nodes.map((n) => (n.id === 'n1' ? node('n1', { labels: { storage: 'ssd' } }) : n));
    round(ssdOnly); // constraint now excludes n2 and n3
    expect(liveNodes(tasks)).toEqual(['n1']);

    nodes = nodes.map((n) => (n.id === 'n3' ? node('n3', { labels: { storage: 'ssd' } }) : n));
    round(ssdOnly); // n3 labelled: it gets a task
    expect(liveNodes(tasks)).toEqual(['n1', 'n3']);

    nodes = nodes.filter((n) => n.id !== 'n3'); // leave
    round(ssdOnly);
    expect(liveNodes(tasks)).toEqual(['n1']);
  });

  it.each<[string, Node, string[]]>([
    ['paused node keeps its task', node('n1', { availability: NodeAvailability.NODE_AVAILABILITY_PAUSE }), ['t1']],
    ['disconnected node keeps its task', node('n1', { state: NodeState.NODE_STATE_DISCONNECTED }), ['t1']],
    ['down node loses its task', node('n1', { state: NodeState.NODE_STATE_DOWN }), []],
    ['drained node loses its task', node('n1', { availability: NodeAvailability.NODE_AVAILABILITY_DRAIN }), []],
  ])('%s', (_name, n, live) => {
    const tasks = [task('t1', { serviceId: 'mon', nodeId: 'n1' })];
    const after = apply(tasks, reconcileGlobal({ service: svc, tasks, nodes: [n], isEligible: anyNode, now: 0 }));
    expect(after.filter(isLive).map((t) => t.id)).toEqual(live);
  });

  it.each<[string, Node]>([
    ['paused', node('n1', { availability: NodeAvailability.NODE_AVAILABILITY_PAUSE })],
    ['not ready', node('n1', { state: NodeState.NODE_STATE_UNKNOWN })],
  ])('a %s node without a task gets none', (_name, n) => {
    expect(reconcileGlobal({ service: svc, tasks: [], nodes: [n], isEligible: anyNode, now: 0 })).toEqual([]);
  });

  it('a failed task still desired RUNNING is left to the restart supervisor', () => {
    const tasks = [task('t1', { serviceId: 'mon', nodeId: 'n1', state: TaskState.TASK_STATE_FAILED })];
    expect(reconcileGlobal({ service: svc, tasks, nodes: [node('n1')], isEligible: anyNode, now: 0 })).toEqual([]);
  });

  it('a node with two live tasks keeps the running one', () => {
    const tasks = [
      task('old', { serviceId: 'mon', nodeId: 'n1', createdAt: 1 }),
      task('new', { serviceId: 'mon', nodeId: 'n1', createdAt: 2, state: TaskState.TASK_STATE_PENDING }),
    ];
    expect(reconcileGlobal({ service: svc, tasks, nodes: [node('n1')], isEligible: anyNode, now: 0 })).toEqual([
      { type: 'shutdown', taskId: 'new', reason: 'node n1 already runs a task of this global service' },
    ]);
  });

  it('says why it shuts tasks down', () => {
    const tasks = [task('a', { serviceId: 'mon', nodeId: 'n1' }), task('b', { serviceId: 'mon', nodeId: 'gone' })];
    expect(reconcileGlobal({ service: svc, tasks, nodes: [node('n1')], isEligible: ssdOnly, now: 0 })).toEqual([
      { type: 'shutdown', taskId: 'a', reason: 'node n1 no longer satisfies the placement constraints' },
      { type: 'shutdown', taskId: 'b', reason: 'node gone left the cluster' },
    ]);
  });
});
