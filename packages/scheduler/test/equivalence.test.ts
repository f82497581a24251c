import { describe, expect, it } from 'vitest';
import { NodeAvailability, NodeState, type Node, type Task } from '@flotilla/api';
import { scheduleBatch, type ScheduleResult } from '../src/schedule-batch.js';
import { DEFAULT_FILTERS } from '../src/pipeline.js';
import { addTask, buildNodeInfos, type NodeInfo } from '../src/node-info.js';
import { compareForSpread } from '../src/strategy/spread.js';
import { GiB, node, task } from './fixtures.js';

/**
 * The plainest reading of the rules: for each task in turn, every filter on
 * every node, then the best node by spread. scheduleBatch's shared static
 * passes and per-service node queues must give exactly the same placements.
 */
function reference(pending: readonly Task[], nodes: readonly Node[], current: readonly Task[]): string[] {
  const infos = buildNodeInfos(nodes, current);
  return pending.map((t) => {
    const candidates = t.nodeId !== '' ? [infos.get(t.nodeId)].filter((i): i is NodeInfo => !!i) : [...infos.values()];
    const checks = DEFAULT_FILTERS.flatMap((f) => f.forTask(t) ?? []);
    const eligible = candidates.filter((info) => checks.every((c) => c(info) === null));
    const best = eligible.sort((a, b) => compareForSpread(t.serviceId, a, b))[0];
    if (!best) return `${t.id}:-`;
    addTask(best, t);
    return `${t.id}:${best.node.id}`;
  });
}

function flatten(r: ScheduleResult, pending: readonly Task[]): string[] {
  const placed = new Map(r.assignments.map((a) => [a.taskId, a.nodeId]));
  return pending.map((t) => `${t.id}:${placed.get(t.id) ?? '-'}`);
}

/** Small deterministic PRNG (mulberry32) so a failure can be replayed by seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCluster(seed: number): { nodes: Node[]; current: Task[]; pending: Task[] } {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nodes = Array.from({ length: 3 + Math.floor(rnd() * 12) }, (_, i) =>
    node(`n${String(i).padStart(2, '0')}`, {
      state: rnd() < 0.85 ? NodeState.NODE_STATE_READY : NodeState.NODE_STATE_DOWN,
      availability: rnd() < 0.85 ? NodeAvailability.NODE_AVAILABILITY_ACTIVE : NodeAvailability.NODE_AVAILABILITY_DRAIN,
      cpus: pick([1, 2, 4]),
      memoryBytes: pick([1, 2, 4]) * GiB,
      labels: { zone: pick(['a', 'b']) },
    }),
  );
  const current = Array.from({ length: Math.floor(rnd() * 20) }, (_, i) =>
    task(`c${i}`, { serviceId: pick(['s1', 's2', 'x']), nodeId: pick(nodes).id, memoryBytes: pick([0, 0.25]) * GiB }),
  );
  const pending = Array.from({ length: 5 + Math.floor(rnd() * 60) }, (_, i) =>
    task(`p${String(i).padStart(2, '0')}`, {
      serviceId: pick(['s1', 's2', 's3']),
      memoryBytes: pick([0, 0.25, 0.5, 1]) * GiB,
      cpus: pick([0, 0, 0.5]),
      constraints: pick([[], [], ['node.labels.zone==a'], ['node.labels.zone!=a']]),
      ...(rnd() < 0.1 ? { nodeId: pick(nodes).id } : {}),
    }),
  );
  return { nodes, current, pending };
}

describe('scheduleBatch matches the one-task-at-a-time reference', () => {
  it.each(Array.from({ length: 200 }, (_, i) => i + 1))('random cluster, seed %i', (seed) => {
    const { nodes, current, pending } = randomCluster(seed);
    expect(flatten(scheduleBatch(pending, nodes, current), pending)).toEqual(reference(pending, nodes, current));
  });
});
