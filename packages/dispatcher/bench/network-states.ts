// Node network states for a cluster of 20 nodes, 5 overlay networks (each used by the tasks
// of 4 nodes), 150 services × 4 tasks (30 of them published on ingress): how long assembling every node's state takes, and what
// one task change costs when only the affected nodes are assembled again (a task on a private
// network vs one of an ingress-published service, which every node lists). Publishing goes to
// a counting stand-in for the NATS connection: this measures the dispatcher's assembly, not
// the bus. Run on purpose: pnpm --filter @flotilla/dispatcher bench:networks. Prints one line.
import { performance } from 'node:perf_hooks';
import { TaskState, type Task } from '@flotilla/api';
import { clusterSubjects, silentLogger, type BusConnection } from '@flotilla/bus';
import { NetworkIndex, NetworkStatePublisher } from '../src/index.js';
import { MemoryNetworkSource, node, overlay, service, task } from '../test/support/network-objects.js';

const NODES = 20;
const NETWORKS = 5;
const SERVICES = 150;
const TASKS = 4;
const INGRESS_EVERY = 5;
const CHANGES = 400;

const source = new MemoryNetworkSource();
source.put('network', overlay('ing', 'ingress', '198.19.0.0/24', 4096, true));
for (let n = 1; n <= NETWORKS; n++) source.put('network', overlay(`net${n}`, `net${n}`, `198.19.${n}.0/24`, 4096 + n));
for (let i = 1; i <= NODES; i++) source.put('node', node(`n${i}`, `198.18.1.${i}`));
const tasks: Task[] = [];
for (let s = 0; s < SERVICES; s++) {
  const net = `net${(s % NETWORKS) + 1}`;
  const ingress = s % INGRESS_EVERY === 0;
  source.put('service', service(`s${s}`, `svc${s}`, { networks: [net], vips: { [net]: `198.19.${(s % NETWORKS) + 1}.${2 + (s % 200)}/24` }, ...(ingress ? { publish: 30000 + s } : {}) }));
  for (let k = 0; k < TASKS; k++) {
    // the services of one network run on that network's 4 nodes
    const nodeId = `n${(s % NETWORKS) * (NODES / NETWORKS) + ((s + k) % (NODES / NETWORKS)) + 1}`;
    const addrs: Record<string, string> = { [net]: `198.19.${(s % NETWORKS) + 1}.${(s * TASKS + k) % 250}/24` };
    if (ingress) addrs['ing'] = `198.19.0.${(s * TASKS + k) % 250}/24`;
    const t = task(`t${s}-${k}`, `s${s}`, nodeId, addrs, TaskState.TASK_STATE_RUNNING, TaskState.TASK_STATE_RUNNING, k + 1);
    tasks.push(t);
    source.put('task', t);
  }
}

let bytes = 0;
let messages = 0;
const nc = { publish: (_s: string, data: Uint8Array) => void ((bytes += data.length), messages++) } as unknown as BusConnection['nc'];
const publisher = new NetworkStatePublisher({ nc, subjects: clusterSubjects('bench'), source, log: silentLogger(), batchMs: 1_000_000 });
publisher.start();

// every node's state from scratch, as after a leader change
let t0 = performance.now();
for (let i = 1; i <= NODES; i++) publisher.sessionOpened(`n${i}`, `sess${i}`);
publisher.flush();
const fullMs = performance.now() - t0;
const fullBytes = bytes / NODES;

function changeCost(pick: (i: number) => Task): { ms: number; sent: number } {
  const before = messages;
  t0 = performance.now();
  for (let i = 0; i < CHANGES; i++) {
    const t = pick(i);
    // serving flips: every node that lists the task must hear it
    const next = { ...t, status: { ...t.status!, state: i % 2 === 0 ? TaskState.TASK_STATE_STARTING : TaskState.TASK_STATE_RUNNING } };
    source.put('task', next);
    publisher.flush();
  }
  return { ms: (performance.now() - t0) / CHANGES, sent: (messages - before) / CHANGES };
}
const privateTask = tasks.find((t) => t.serviceId === 's1')!;
const ingressTask = tasks.find((t) => t.serviceId === 's0')!;
const priv = changeCost(() => privateTask);
const ing = changeCost(() => ingressTask);

t0 = performance.now();
const index = new NetworkIndex(source.read());
const indexMs = performance.now() - t0;
void index;

console.log(
  `network-states: nodes=${NODES} services=${SERVICES} tasks=${tasks.length} all_nodes_ms=${fullMs.toFixed(1)} index_ms=${indexMs.toFixed(2)} state_bytes_per_node=${Math.round(fullBytes)} ` +
    `private_task_change_ms=${priv.ms.toFixed(2)} private_nodes_sent=${priv.sent.toFixed(1)} ingress_task_change_ms=${ing.ms.toFixed(2)} ingress_nodes_sent=${ing.sent.toFixed(1)}`,
);
publisher.stop();
