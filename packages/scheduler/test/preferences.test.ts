// Placement preferences (--placement-pref spread=...) and --replicas-max-per-node, as SwarmKit
// places them: even splits over label values, nested in order; docker's pending reason.
import { describe, expect, it } from 'vitest';
import { scheduleBatch, type ScheduleResult } from '../src/schedule-batch.js';
import { node, pending, task } from './fixtures.js';

/** Assignments per label value of the chosen nodes. */
function perValue(result: ScheduleResult, valueOf: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of result.assignments) out[valueOf[a.nodeId]!] = (out[valueOf[a.nodeId]!] ?? 0) + 1;
  return out;
}

function perNode(result: ScheduleResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of result.assignments) out[a.nodeId] = (out[a.nodeId] ?? 0) + 1;
  return out;
}

const zones = { a1: 'a', a2: 'a', b1: 'b', c1: 'c', c2: 'c', c3: 'c' };
const zoned = Object.entries(zones).map(([id, zone]) => node(id, { labels: { zone } }));
const spreadZone = { preferences: ['node.labels.zone'] };

describe('placement preferences', () => {
  it('splits 6 tasks evenly over 3 zones whatever their node counts (plain spread would go 2/1/3)', () => {
    const r = scheduleBatch(pending('t', 6, spreadZone), zoned, []);
    expect(r.unassigned).toEqual([]);
    expect(perValue(r, zones)).toEqual({ a: 2, b: 2, c: 2 });
    expect(perNode(r)['b1']).toBe(2);
    const plain = scheduleBatch(pending('t', 6), zoned, []);
    expect(perValue(plain, zones)).toEqual({ a: 2, b: 1, c: 3 });
  });

  it('counts the tasks already running: an over-full zone gets nothing until the others catch up', () => {
    const current = [task('x1', { nodeId: 'a1' }), task('x2', { nodeId: 'a2' }), task('x3', { nodeId: 'a1' })];
    const r = scheduleBatch(pending('t', 3, spreadZone), zoned, current);
    expect(perValue(r, zones)).toEqual({ b: 2, c: 1 });
    const more = scheduleBatch(pending('t', 6, spreadZone), zoned, current);
    expect(perValue(more, zones)).toEqual({ b: 3, c: 3 }); // 3 running + 6 = 9: three per zone, a has its three
  });

  it('puts nodes without the label in a branch of their own', () => {
    const nodes = [node('n1', { labels: { zone: 'a' } }), node('n2'), node('n3')];
    const r = scheduleBatch(pending('t', 4, spreadZone), nodes, []);
    expect(perNode(r)).toEqual({ n1: 2, n2: 1, n3: 1 });
  });

  it('nests preferences in order: zones first, then racks within each zone', () => {
    const layout: Record<string, [string, string]> = { n1: ['a', 'r1'], n2: ['a', 'r1'], n3: ['a', 'r2'], n4: ['b', 'r1'], n5: ['b', 'r2'], n6: ['b', 'r3'] };
    const nodes = Object.entries(layout).map(([id, [zone, rack]]) => node(id, { labels: { zone, rack } }));
    const r = scheduleBatch(pending('t', 12, { preferences: ['node.labels.zone', 'node.labels.rack'] }), nodes, []);
    const zoneRack: Record<string, string> = Object.fromEntries(Object.entries(layout).map(([id, [z, k]]) => [id, `${z}/${k}`]));
    expect(perValue(r, zoneRack)).toEqual({ 'a/r1': 3, 'a/r2': 3, 'b/r1': 2, 'b/r2': 2, 'b/r3': 2 });
    expect(perNode(r)['n3']).toBe(3);
  });

  it('passes over a branch none of whose nodes can take the task (constraints, not ready)', () => {
    const nodes = [node('a1', { labels: { zone: 'a', disk: 'hdd' } }), node('b1', { labels: { zone: 'b', disk: 'ssd' } }), node('c1', { labels: { zone: 'c', disk: 'ssd' } })];
    const r = scheduleBatch(pending('t', 4, { ...spreadZone, constraints: ['node.labels.disk==ssd'] }), nodes, []);
    expect(perNode(r)).toEqual({ b1: 2, c1: 2 });
  });

  it('splits on engine labels too', () => {
    const nodes = [node('n1', { engineLabels: { dc: 'x' } }), node('n2', { engineLabels: { dc: 'x' } }), node('n3', { engineLabels: { dc: 'y' } })];
    const r = scheduleBatch(pending('t', 4, { preferences: ['engine.labels.dc'] }), nodes, []);
    expect(perNode(r)['n3']).toBe(2);
  });
});

describe('--replicas-max-per-node', () => {
  it('places at most N tasks of the service per node and leaves the rest pending with docker\'s reason', () => {
    const r = scheduleBatch(pending('t', 5, { maxReplicas: 1 }), [node('n1'), node('n2'), node('n3')], []);
    expect(Object.values(perNode(r))).toEqual([1, 1, 1]);
    expect(r.unassigned.map((u) => u.reason)).toEqual(['no suitable node (max replicas per node limit exceed)', 'no suitable node (max replicas per node limit exceed)']);
  });

  it('counts the service\'s running tasks, not other services\'', () => {
    const current = [task('x', { nodeId: 'n1' }), task('y', { nodeId: 'n2', serviceId: 'other' }), task('z', { nodeId: 'n2', serviceId: 'other' })];
    const r = scheduleBatch(pending('t', 3, { maxReplicas: 2 }), [node('n1'), node('n2')], current);
    expect(perNode(r)).toEqual({ n1: 1, n2: 2 });
  });

  it('names every reason when constraints exclude the other nodes', () => {
    const nodes = [node('n1', { labels: { disk: 'ssd' } }), node('n2'), node('n3')];
    const r = scheduleBatch(pending('t', 2, { maxReplicas: 1, constraints: ['node.labels.disk==ssd'] }), nodes, []);
    expect(r.assignments).toEqual([{ taskId: 't-01', nodeId: 'n1' }]);
    expect(r.unassigned[0]?.reason).toBe('no suitable node (2 nodes do not satisfy node.labels.disk==ssd; max replicas per node limit exceed)');
  });

  it('works with preferences: a zone whose nodes are full is passed over', () => {
    const r = scheduleBatch(pending('t', 5, { ...spreadZone, maxReplicas: 1 }), zoned, []);
    expect(Object.values(perNode(r)).every((n) => n === 1)).toBe(true);
    expect(perValue(r, zones)).toEqual({ a: 2, b: 1, c: 2 });
  });
});
