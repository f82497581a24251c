// Store benchmark: 100k tasks in memory, indexed lookups per second (by service, by node)
// and heap bytes per task including every index. Prints one result line.
//   pnpm --filter @flotilla/raft exec tsx bench/store.ts
import { Node, Service } from '@flotilla/api';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Store } from '../src/store/store.js';
import { TransactionBuilder } from '../src/store/transaction.js';
import { makeTask, NODES, SERVICES } from './tasks.js';

const TASKS = 100_000;
const BATCH = 500; // tasks per transaction

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const store = new Store({ eventRingSize: 10_000 });
let index = 0;
{
  const tx = new TransactionBuilder('setup', 1_700_000_000_000);
  for (let s = 0; s < SERVICES; s++) tx.create('service', Service.fromPartial({ id: `svc${s.toString(36).padStart(22, '0')}`, spec: { annotations: { name: `service-${s}` } } }));
  for (let n = 0; n < NODES; n++) tx.create('node', Node.fromPartial({ id: `node${n.toString(36).padStart(21, '0')}`, description: { hostname: `host-${n}` } }));
  store.apply(++index, tx.encode());
}
// The event ring holds the last 10k events; measure it full in both cases so it does not count as task memory.
const encoded: Uint8Array[] = [];
for (let i = 0; i < TASKS; i += BATCH) {
  const tx = new TransactionBuilder(`load-${i}`, 1_700_000_000_000 + i);
  for (let j = i; j < Math.min(TASKS, i + BATCH); j++) tx.create('task', makeTask(j));
  encoded.push(tx.encode());
}
const before = heap();
const loadStart = process.hrtime.bigint();
for (const bytes of encoded) {
  const r = store.apply(++index, bytes);
  if (!r.ok) throw r.error;
}
const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;
// Measured while the encoded transactions are still alive, so only what the store retains counts.
const after = heap();
encoded.length = 0;
const bytesPerTask = Math.round((after - before) / TASKS);

const view = store.view();
if (view.tasks.count !== TASKS) throw new Error(`expected ${TASKS} tasks, have ${view.tasks.count}`);
const serviceIds = [...view.services.all()].map((s) => s.id);
const nodeIds = [...view.nodes.all()].map((n) => n.id);

let lookups = 0;
let found = 0;
const deadline = process.hrtime.bigint() + 2_000_000_000n;
const start = process.hrtime.bigint();
while (process.hrtime.bigint() < deadline) {
  for (let k = 0; k < 100; k++) {
    found += view.tasks.byService(serviceIds[(lookups + k) % SERVICES]!).length;
    found += view.tasks.byNode(nodeIds[(lookups + k) % NODES]!).length;
  }
  lookups += 200;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
if (found !== (lookups / 2) * (TASKS / SERVICES) + (lookups / 2) * (TASKS / NODES)) throw new Error('lookup returned wrong counts');

// Status updates, the dominant write in a running cluster.
const updStart = process.hrtime.bigint();
const UPDATES = 20_000;
for (let i = 0; i < UPDATES; i += BATCH) {
  const cur = store.view();
  const tx = new TransactionBuilder(`upd-${i}`, 1_700_000_100_000 + i);
  for (let j = i; j < i + BATCH; j++) {
    const t = cur.tasks.get(`task${j.toString(36).padStart(20, '0')}`)!;
    tx.update('task', { ...t, status: { ...t.status!, message: 'healthy' } });
  }
  const r = store.apply(++index, tx.encode());
  if (!r.ok) throw r.error;
}
const updSeconds = Number(process.hrtime.bigint() - updStart) / 1e9;

console.log(
  `store: tasks=${TASKS} lookups_per_s=${Math.round(lookups / seconds)} bytes_per_task=${bytesPerTask}` +
    ` (by service: ${TASKS / SERVICES} tasks/lookup, by node: ${TASKS / NODES} tasks/lookup;` +
    ` load ${Math.round(TASKS / loadSeconds)} creates/s, ${Math.round(UPDATES / updSeconds)} updates/s through apply)`,
);
