// Dispatcher throughput over mutual TLS to a local nats-server: opening sessions,
// heartbeats, and status intake (how many store writes the batcher turns them into).
// Run on purpose: pnpm --filter @flotilla/dispatcher bench. Prints one line.
// One client connection speaks for every simulated node (manager permissions), so the
// figures are the dispatcher's and the bus's, not those of 1000 TLS handshakes.
import { join } from 'node:path';
import {
  HeartbeatRequest,
  HeartbeatResponse,
  OpenSessionRequest,
  OpenSessionResponse,
  TaskState,
  TaskStatusAck,
  TaskStatusBatch,
} from '@flotilla/api';
import { clusterSubjects, connectBus, managerPermissions, NatsServerSupervisor, request } from '@flotilla/bus';
import { makeTestPki, tempDir } from '@flotilla/testkit';
import { Dispatcher } from '../src/index.js';
import { assignedTask, MemoryDispatcherBackend } from '../test/support/memory-backend.js';

const NODES = 1_000;
const TASKS_PER_NODE = 10;
const HEARTBEATS = 20_000;
const IN_FLIGHT = 64;

const subjects = clusterSubjects('bench');
const dir = await tempDir('flotilla-dispatcher-bench-');
const pki = await makeTestPki(join(dir.path, 'pki'), { clients: [{ name: 'm', cn: 'm', o: 'bench' }, { name: 'a', cn: 'a', o: 'bench' }] });
const perms = managerPermissions(subjects);
const nats = new NatsServerSupervisor({
  configDir: join(dir.path, 'nats'),
  serverName: 'bench',
  host: '127.0.0.1',
  port: 0,
  tls: { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile },
  users: [{ user: pki.clients.m!.dn, permissions: perms }, { user: pki.clients.a!.dn, permissions: perms }],
});
await nats.start();
const tls = (n: 'm' | 'a') => ({ ca: pki.ca.cert, cert: pki.clients[n]!.cert, key: pki.clients[n]!.key });
const manager = await connectBus({ servers: [nats.url], tls: tls('m'), inboxPrefix: subjects.node.inboxPrefix('m') });
const agents = await connectBus({ servers: [nats.url], tls: tls('a'), inboxPrefix: subjects.node.inboxPrefix('a') });

const backend = new MemoryDispatcherBackend(60_000); // long period: nobody expires during the run
const nodes = Array.from({ length: NODES }, (_, i) => `n${i}`);
for (const n of nodes) for (let t = 0; t < TASKS_PER_NODE; t++) backend.put(assignedTask(`${n}-t${t}`, n, ['true']));
const dispatcher = new Dispatcher({ nc: manager.nc, subjects, backend });
await dispatcher.start();
await manager.nc.flush();

async function pipelined<T>(count: number, call: (i: number) => Promise<T>): Promise<{ perSec: number; results: T[] }> {
  const results: T[] = new Array(count);
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await call(i);
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSec: count / secs, results };
}

const opt = { timeoutMs: 30_000 };
const opened = await pipelined(NODES, (i) =>
  request(agents.nc, subjects.dispatcher.session(nodes[i]!), OpenSessionRequest, { nodeId: nodes[i]!, description: { hostname: nodes[i]! } }, OpenSessionResponse, opt),
);
const sessions = opened.results.map((r) => r.sessionId);

const beats = await pipelined(HEARTBEATS, (i) =>
  request(agents.nc, subjects.dispatcher.heartbeat(nodes[i % NODES]!), HeartbeatRequest, { sessionId: sessions[i % NODES]! }, HeartbeatResponse, opt),
);

const writesBefore = backend.statusBatches.length;
const status = { timestamp: Date.now(), state: TaskState.TASK_STATE_RUNNING, message: 'started', err: '', pendingReason: '' };
const statuses = await pipelined(NODES, (i) =>
  request(
    agents.nc,
    subjects.dispatcher.status(nodes[i]!),
    TaskStatusBatch,
    { sessionId: sessions[i]!, updates: Array.from({ length: TASKS_PER_NODE }, (_, t) => ({ taskId: `${nodes[i]}-t${t}`, status })) },
    TaskStatusAck,
    opt,
  ),
);
const writes = backend.statusBatches.length - writesBefore;

console.log(
  `dispatcher: ${NODES} nodes x ${TASKS_PER_NODE} tasks | open session ${opened.perSec.toFixed(0)}/s | ` +
    `heartbeat ${beats.perSec.toFixed(0)}/s | status ${(statuses.perSec * TASKS_PER_NODE).toFixed(0)} statuses/s in ${writes} store writes ` +
    `(${(NODES * TASKS_PER_NODE / writes).toFixed(0)} per write) | ${IN_FLIGHT} in flight, mTLS`,
);

await dispatcher.stop();
await agents.close();
await manager.close();
await nats.stop();
await dir.cleanup();
