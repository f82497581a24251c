import { NodeAvailability, NodeRole, NodeState, ServiceMode, TaskState, type Node, type Service, type Task } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { clusterSamples, enumWord, nodeSamples } from '../src/index.js';

const node = (id: string, state: NodeState, role: NodeRole, availability = NodeAvailability.NODE_AVAILABILITY_ACTIVE): Node =>
  ({ id, role, status: { state }, spec: { availability } }) as unknown as Node;
const service = (id: string, name: string, mode = ServiceMode.SERVICE_MODE_REPLICATED): Service =>
  ({ id, spec: { annotations: { name }, mode } }) as unknown as Service;
const task = (serviceId: string, state: TaskState, desiredState = TaskState.TASK_STATE_RUNNING): Task =>
  ({ serviceId, status: { state }, desiredState }) as unknown as Task;

describe('clusterSamples', () => {
  it('counts tasks by service name, observed and desired state; a gone service by its id', () => {
    const s = clusterSamples(
      [],
      [service('s1', 'web'), service('s2', 'db')],
      [
        task('s1', TaskState.TASK_STATE_RUNNING),
        task('s1', TaskState.TASK_STATE_RUNNING),
        task('s1', TaskState.TASK_STATE_PENDING),
        task('s1', TaskState.TASK_STATE_SHUTDOWN, TaskState.TASK_STATE_SHUTDOWN),
        task('s2', TaskState.TASK_STATE_RUNNING),
        task('gone', TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_SHUTDOWN),
      ],
    );
    expect(s.tasks).toEqual(
      expect.arrayContaining([
        { labels: { service: 'web', state: 'running', desired_state: 'running' }, value: 2 },
        { labels: { service: 'web', state: 'pending', desired_state: 'running' }, value: 1 },
        { labels: { service: 'web', state: 'shutdown', desired_state: 'shutdown' }, value: 1 },
        { labels: { service: 'db', state: 'running', desired_state: 'running' }, value: 1 },
        { labels: { service: 'gone', state: 'failed', desired_state: 'shutdown' }, value: 1 },
      ]),
    );
    expect(s.tasks).toHaveLength(5);
  });

  it('counts nodes by state, role and availability, and services by mode', () => {
    const s = clusterSamples(
      [
        node('a', NodeState.NODE_STATE_READY, NodeRole.NODE_ROLE_MANAGER),
        node('b', NodeState.NODE_STATE_READY, NodeRole.NODE_ROLE_WORKER),
        node('c', NodeState.NODE_STATE_READY, NodeRole.NODE_ROLE_WORKER),
        node('d', NodeState.NODE_STATE_DOWN, NodeRole.NODE_ROLE_WORKER, NodeAvailability.NODE_AVAILABILITY_DRAIN),
      ],
      [service('s1', 'web'), service('s2', 'agent', ServiceMode.SERVICE_MODE_GLOBAL), service('s3', 'api')],
      [],
    );
    expect(s.nodes).toEqual(
      expect.arrayContaining([
        { labels: { state: 'ready', role: 'manager', availability: 'active' }, value: 1 },
        { labels: { state: 'ready', role: 'worker', availability: 'active' }, value: 2 },
        { labels: { state: 'down', role: 'worker', availability: 'drain' }, value: 1 },
      ]),
    );
    expect(s.nodes).toHaveLength(3);
    expect(s.services).toEqual(expect.arrayContaining([{ labels: { mode: 'replicated' }, value: 2 }, { labels: { mode: 'global' }, value: 1 }]));
  });

  it('an empty store has no series at all', () => {
    expect(clusterSamples([], [], [])).toEqual({ tasks: [], nodes: [], services: [] });
  });

  it('enum words drop the prefix and go lower-case', () => {
    expect(enumWord('TASK_STATE_RUNNING', 'TASK_STATE_')).toBe('running');
    expect(enumWord('SERVICE_MODE_REPLICATED_JOB', 'SERVICE_MODE_')).toBe('replicated_job');
  });
});

describe('nodeSamples', () => {
  it('refusals by listener and cause, gossip members by state, from info', () => {
    const s = nodeSamples({
      natsRefused: [{ cause: 'tls', count: 3 }],
      managerPortRefused: [{ cause: 'bad-token', count: 2 }],
      dnsRefused: [],
      gossip: { membersAlive: 3, membersSuspect: 1, membersDead: 0, membersLeft: 2, networks: [], refused: [{ cause: 'bad-key', count: 7 }] },
    } as never);
    expect(s.refused).toEqual([
      { labels: { listener: 'nats', cause: 'tls' }, value: 3 },
      { labels: { listener: 'manager_port', cause: 'bad-token' }, value: 2 },
      { labels: { listener: 'gossip', cause: 'bad-key' }, value: 7 },
    ]);
    expect(s.gossipMembers).toContainEqual({ labels: { state: 'suspect' }, value: 1 });
    expect(s.gossipMembers).toContainEqual({ labels: { state: 'left' }, value: 2 });
  });
});
