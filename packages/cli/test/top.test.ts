import { NodeAvailability, NodeRole, NodeState, ServiceMode, type ClusterEvent, type NodeView, type ServiceView } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { renderTop, type TopSnapshot } from '../src/commands/top.js';

const node = (id: string, hostname: string, state: NodeState, leader = false): NodeView =>
  ({
    node: { id, role: leader ? NodeRole.NODE_ROLE_MANAGER : NodeRole.NODE_ROLE_WORKER, description: { hostname }, status: { state }, spec: { availability: NodeAvailability.NODE_AVAILABILITY_ACTIVE } },
    leader,
    reachable: true,
    self: leader,
  }) as unknown as NodeView;
const service = (id: string, name: string, running: number, desired: number): ServiceView =>
  ({ service: { id, spec: { annotations: { name }, mode: ServiceMode.SERVICE_MODE_REPLICATED, task: { container: { image: 'flotilla/busybox' } } } }, runningTasks: running, desiredTasks: desired }) as unknown as ServiceView;
const event = (i: number): ClusterEvent => ({ type: 'service', action: 'update', id: `svc${i}`, attributes: { name: `web${i}` }, timeUnixMs: Date.UTC(2026, 11, 8, 4, 0, i), index: i }) as unknown as ClusterEvent;

const snapshot: TopSnapshot = {
  nodes: [node('n1', 'mgr1', NodeState.NODE_STATE_READY, true), node('n2', 'wrk1', NodeState.NODE_STATE_READY), node('n3', 'wrk2', NodeState.NODE_STATE_DOWN)],
  services: [service('s1', 'web', 3, 4), service('s2', 'db', 1, 1)],
  events: [event(1), event(2), event(3)],
  atMs: Date.UTC(2026, 11, 8, 4, 5, 6),
};

describe('renderTop', () => {
  it('a headline with ready nodes and running tasks, then node ls, service ls and the newest events first', () => {
    const screen = renderTop(snapshot, 40, 200);
    expect(screen[0]).toBe('flotilla top  04:05:06  nodes 2/3 ready  services 2  tasks 4/5 running');
    const text = screen.join('\n');
    expect(text).toMatch(/NODES\nID +HOSTNAME +STATUS/);
    expect(text).toMatch(/mgr1 +Ready +Active +Leader/);
    expect(text).toMatch(/wrk2 +Down/);
    expect(text).toMatch(/SERVICES\nID +NAME +MODE +REPLICAS/);
    expect(text).toMatch(/web +replicated +3\/4/);
    const at = (id: string) => screen.findIndex((l) => l.includes(` ${id} `));
    expect(at('svc3')).toBeGreaterThan(screen.indexOf('EVENTS (newest first)'));
    expect(at('svc3')).toBeLessThan(at('svc2'));
    expect(at('svc2')).toBeLessThan(at('svc1'));
  });

  it('fits the terminal: lines clipped to the width, events give way to the height, the footer stays', () => {
    const screen = renderTop(snapshot, 16, 30, 'q: quit');
    expect(screen).toHaveLength(16);
    expect(screen.every((l) => l.length <= 30)).toBe(true);
    expect(screen[0]).toMatch(/…$/);
    expect(screen.at(-1)).toBe('q: quit');
    expect(screen.filter((l) => l.includes('svc')).length).toBeLessThan(3);
  });

  it('says when there are no services or events yet', () => {
    const text = renderTop({ ...snapshot, services: [], events: [] }, 40, 120).join('\n');
    expect(text).toContain('SERVICES\n(none)');
    expect(text).toContain('(none since top started)');
  });
});
