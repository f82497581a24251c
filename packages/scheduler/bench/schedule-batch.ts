// Run on purpose: `pnpm --filter @flotilla/scheduler exec tsx bench/schedule-batch.ts [tasks] [nodes]`
// Places one batch of pending tasks (reservations + one label constraint) on a
// cluster whose nodes already carry tasks of other services; prints one line.
import { Node, NodeAvailability, NodeState, Task, TaskState } from '@flotilla/api';
import { scheduleBatch } from '../src/schedule-batch.js';

const taskCount = Number(process.argv[2] ?? 10_000);
const nodeCount = Number(process.argv[3] ?? 1_000);

const nodes = Array.from({ length: nodeCount }, (_, i) =>
  Node.fromPartial({
    id: `node-${String(i).padStart(5, '0')}`,
    spec: {
      annotations: { labels: { zone: i % 2 === 0 ? 'a' : 'b' } },
      availability: i % 50 === 0 ? NodeAvailability.NODE_AVAILABILITY_DRAIN : NodeAvailability.NODE_AVAILABILITY_ACTIVE,
    },
    status: { state: NodeState.NODE_STATE_READY },
    description: { resources: { nanoCpus: 64e9, memoryBytes: 256 * 2 ** 30 } },
  }),
);
const current = Array.from({ length: nodeCount * 5 }, (_, i) =>
  Task.fromPartial({
    id: `cur-${i}`,
    serviceId: `other-${i % 7}`,
    nodeId: nodes[i % nodeCount]!.id,
    desiredState: TaskState.TASK_STATE_RUNNING,
    status: { state: TaskState.TASK_STATE_RUNNING },
    spec: { resources: { reservations: { nanoCpus: 1e8, memoryBytes: 2 ** 26 } } },
  }),
);
const pendingTasks = Array.from({ length: taskCount }, (_, i) =>
  Task.fromPartial({
    id: `t-${i}`,
    serviceId: `svc-${i % 10}`,
    slot: Math.floor(i / 10) + 1,
    desiredState: TaskState.TASK_STATE_RUNNING,
    status: { state: TaskState.TASK_STATE_PENDING },
    spec: {
      resources: { reservations: { nanoCpus: 1e8, memoryBytes: 2 ** 27 } },
      placement: { constraints: ['node.labels.zone==a'] },
    },
  }),
);

const start = process.hrtime.bigint();
const result = scheduleBatch(pendingTasks, nodes, current);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
console.log(
  `scheduler-batch: tasks=${taskCount} nodes=${nodeCount} assigned=${result.assignments.length} ` +
    `unassigned=${result.unassigned.length} ms=${ms.toFixed(0)} tasks_per_s=${((taskCount / ms) * 1000).toFixed(0)}`,
);
