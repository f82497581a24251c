import { describe, expect, it } from 'vitest';
import { NodeAvailability, NodeState, TaskState, type Task, type Node } from '@flotilla/api';
import { readyFilter } from '../src/filters/ready.js';
import { availabilityFilter } from '../src/filters/availability.js';
import { resourcesFilter } from '../src/filters/resources.js';
import { constraintFilter } from '../src/filters/constraint.js';
import type { Filter } from '../src/filters/filter.js';
import { buildNodeInfos } from '../src/node-info.js';
import { GiB, node, task } from './fixtures.js';

/** Runs one filter for one task on one node (with the node's current tasks); null = passes. */
function verdict(filter: Filter, t: Task, n: Node, onNode: Task[] = []): string | null {
  const check = filter.forTask(t);
  if (!check) return null;
  const info = buildNodeInfos([n], onNode).get(n.id);
  if (!info) throw new Error('node info missing');
  return check(info);
}

describe('ready filter', () => {
  it.each([
    [NodeState.NODE_STATE_READY, true],
    [NodeState.NODE_STATE_DOWN, false],
    [NodeState.NODE_STATE_DISCONNECTED, false],
    [NodeState.NODE_STATE_UNKNOWN, false],
  ])('node state %s passes: %s', (state, passes) => {
    expect(verdict(readyFilter, task('t'), node('n', { state })) === null).toBe(passes);
  });

  it.each([
    [1, '1 node not ready'],
    [3, '3 nodes not ready'],
  ])('explains %i rejected nodes as %j', (n, text) => {
    expect(readyFilter.explain(n, [])).toBe(text);
  });
});

describe('availability filter', () => {
  it.each([
    [NodeAvailability.NODE_AVAILABILITY_ACTIVE, true],
    [NodeAvailability.NODE_AVAILABILITY_PAUSE, false],
    [NodeAvailability.NODE_AVAILABILITY_DRAIN, false],
  ])('availability %s passes: %s', (availability, passes) => {
    expect(verdict(availabilityFilter, task('t'), node('n', { availability })) === null).toBe(passes);
  });

  it('explains in words', () => {
    expect(availabilityFilter.explain(1, [])).toBe('1 node not available for new tasks');
    expect(availabilityFilter.explain(2, [])).toBe('2 nodes not available for new tasks');
  });
});

describe('resources filter', () => {
  const n = node('n', { cpus: 2, memoryBytes: 4 * GiB });
  const running = (id: string, cpus: number, mem: number, extra: Partial<Task> = {}): Task => ({
    ...task(id, { nodeId: 'n', cpus, memoryBytes: mem, serviceId: 'other' }),
    ...extra,
  });

  it.each<[string, Task, Task[], string | null]>([
    ['no reservations fit anywhere', task('t'), [running('a', 2, 4 * GiB)], null],
    ['fits on an empty node', task('t', { cpus: 1, memoryBytes: 2 * GiB }), [], null],
    ['fits exactly', task('t', { cpus: 2, memoryBytes: 4 * GiB }), [], null],
    ['too much memory', task('t', { memoryBytes: 5 * GiB }), [], 'memory'],
    ['too much cpu', task('t', { cpus: 3 }), [], 'cpu'],
    ['too much of both', task('t', { cpus: 3, memoryBytes: 5 * GiB }), [], 'cpu and memory'],
    [
      'running tasks take their reservations',
      task('t', { memoryBytes: 2 * GiB }),
      [running('a', 0, 1 * GiB), running('b', 0, 1.5 * GiB)],
      'memory',
    ],
    [
      'an ended task frees its reservations',
      task('t', { memoryBytes: 2 * GiB }),
      [running('a', 0, 3 * GiB, { status: { ...task('x').status!, state: TaskState.TASK_STATE_FAILED } })],
      null,
    ],
    [
      'a task being shut down no longer counts',
      task('t', { memoryBytes: 2 * GiB }),
      [running('a', 0, 3 * GiB, { desiredState: TaskState.TASK_STATE_SHUTDOWN })],
      null,
    ],
  ])('%s', (_name, t, onNode, expected) => {
    expect(verdict(resourcesFilter, t, n, onNode)).toBe(expected);
  });

  it('a node that reports no resources fits only tasks without reservations', () => {
    const bare: Node = { ...n, description: { ...n.description!, resources: undefined } };
    expect(verdict(resourcesFilter, task('t'), bare)).toBeNull();
    expect(verdict(resourcesFilter, task('t', { memoryBytes: 1 }), bare)).toBe('memory');
  });

  it('explains in words', () => {
    expect(resourcesFilter.explain(1, ['memory'])).toBe('1 node has insufficient resources');
    expect(resourcesFilter.explain(2, ['memory', 'cpu'])).toBe('2 nodes have insufficient resources');
  });
});

describe('constraint filter', () => {
  const n = node('node-a', {
    hostname: 'worker1',
    labels: { storage: 'ssd', Zone: 'EU-1' },
    engineLabels: { kernel: '6.1' },
    os: 'linux',
    arch: 'x86_64',
  });

  it.each<[string, string | null]>([
    ['node.id==node-a', null],
    ['node.id!=node-a', 'node.id!=node-a'],
    ['node.hostname==worker1', null],
    ['node.hostname==WORKER1', null],
    ['node.hostname!=worker2', null],
    ['node.role==worker', null],
    ['node.role==manager', 'node.role==manager'],
    ['node.role!=manager', null],
    ['node.labels.storage==ssd', null],
    ['node.labels.storage==SSD', null],
    ['node.labels.storage!=ssd', 'node.labels.storage!=ssd'],
    ['node.labels.storage==hdd', 'node.labels.storage==hdd'],
    ['node.labels.Zone==eu-1', null],
    ['node.labels.zone==eu-1', 'node.labels.zone==eu-1'],
    ['node.labels.missing==x', 'node.labels.missing==x'],
    ['node.labels.missing!=x', null],
    ['engine.labels.kernel==6.1', null],
    ['engine.labels.kernel!=6.1', 'engine.labels.kernel!=6.1'],
    ['engine.labels.missing!=1', null],
    ['node.platform.os==linux', null],
    ['node.platform.os==windows', 'node.platform.os==windows'],
    ['node.platform.arch==x86_64', null],
    ['node.platform.arch==amd64', null],
    ['node.platform.arch==arm64', 'node.platform.arch==arm64'],
    ['NODE.LABELS.storage==ssd', null],
  ])('%s on node-a -> %j', (expr, expected) => {
    expect(verdict(constraintFilter, task('t', { constraints: [expr] }), n)).toBe(expected);
  });

  it('all constraints must hold; the detail lists every unmet one', () => {
    const t = task('t', { constraints: ['node.labels.storage==ssd', 'node.role==manager', 'node.platform.os==windows'] });
    expect(verdict(constraintFilter, t, n)).toBe('node.role==manager, node.platform.os==windows');
  });

  it('a node without labels fails == and passes !=', () => {
    const bare = node('b');
    expect(verdict(constraintFilter, task('t', { constraints: ['node.labels.storage==ssd'] }), bare)).not.toBeNull();
    expect(verdict(constraintFilter, task('t', { constraints: ['node.labels.storage!=ssd'] }), bare)).toBeNull();
  });

  it('a task without constraints is not checked', () => {
    expect(constraintFilter.forTask(task('t'))).toBeNull();
  });

  it('unparsable constraints fit no node and say why', () => {
    const d = verdict(constraintFilter, task('t', { constraints: ['node.colour==red'] }), n);
    expect(d).toMatch(/^invalid: .*unknown key "node.colour"/);
    expect(constraintFilter.explain(1, [d!])).toMatch(/^placement constraints are invalid: /);
  });

  it('explains with the constraints that were not met', () => {
    expect(constraintFilter.explain(1, ['node.labels.a==b'])).toBe('1 node does not satisfy node.labels.a==b');
    expect(constraintFilter.explain(3, ['node.labels.a==b', 'node.labels.a==b, node.role==manager', 'node.role==manager'])).toBe(
      '3 nodes do not satisfy node.labels.a==b, node.role==manager',
    );
  });
});
