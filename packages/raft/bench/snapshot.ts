// A snapshot of a large store taken while writes continue, on a 3-member cluster as flotillad
// runs it (members in their own processes on clustered nats-servers, 100 ms ticks, 10 ticks to an
// election): 100 000 tasks are loaded through StoreClient, then small writes go on until every
// member has taken its snapshot. Each member measures the longest its event loop was blocked
// (a 5 ms timer's worst lateness) from the end of the load to the end of the run, and the Raft
// terms before and after tell whether an election happened. Baseline, measured on the same store
// in a member: the one-shot encoding that used to run inside the Ready loop (store snapshot,
// RaftSnapshot and file framing with its CRC, all synchronous).
//
//   pnpm --filter @flotilla/raft exec tsx bench/snapshot.ts [--tasks 100000]
//
// One line: snapshot: tasks=… bytes=… encode_ms=… loop_max_block_ms=… elections=… old_loop_block_ms=… block_ratio=…
import { parseArgs } from 'node:util';
import { Network, Node, Service } from '@flotilla/api';
import { StoreClient } from '../src/store-service/client.js';
import { TransactionBuilder } from '../src/store/transaction.js';
import { ProcessCluster, type ChildStats } from './process-cluster.js';
import { makeTask, NODES, SERVICES } from './tasks.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '100000' } } });
const TASKS = Number(values.tasks);
const BATCH = 500;
const IDS = [1, 2, 3];

async function main(): Promise<void> {
  const loadEntries = Math.ceil(TASKS / BATCH) + 1;
  // The snapshot comes due shortly after the load, while the small writes go on.
  const cluster = await ProcessCluster.start(3, { tickMs: 100, electionTicks: 10, snapshotEvery: loadEntries + 100 });
  try {
    const leader = await cluster.leader(IDS);
    const via = IDS.find((id) => id !== leader)!;
    const client = new StoreClient({ nc: cluster.clients.get(via)!.nc, clusterId: cluster.clusterId, timeoutMs: 30_000 });
    const setup = new TransactionBuilder('setup', Date.now());
    for (let s = 0; s < SERVICES; s++) setup.create('service', Service.fromPartial({ id: `svc${s.toString(36).padStart(22, '0')}`, spec: { annotations: { name: `service-${s}` } } }));
    for (let n = 0; n < NODES; n++) setup.create('node', Node.fromPartial({ id: `node${n.toString(36).padStart(21, '0')}`, description: { hostname: `host-${n}` } }));
    await client.propose(setup.encode(), 30_000);
    let next = 0;
    const loader = async (): Promise<void> => {
      while (next < TASKS) {
        const from = next;
        next += BATCH;
        const tx = new TransactionBuilder(`load-${from}`, Date.now());
        for (let j = from; j < Math.min(TASKS, from + BATCH); j++) tx.create('task', makeTask(j));
        await client.propose(tx.encode(), 60_000);
      }
    };
    await Promise.all([loader(), loader(), loader()]);

    const before = await Promise.all(IDS.map((id) => cluster.ask<ChildStats>(id, 'stats')));
    await Promise.all(IDS.map((id) => cluster.ask(id, 'probe-reset')));
    let writing = true;
    let seq = 0;
    const writer = async (): Promise<void> => {
      while (writing) {
        const n = seq++;
        await client.propose(new TransactionBuilder(`after-${n}`, Date.now()).create('network', Network.fromPartial({ id: `net-${n}`, spec: { annotations: { name: `n-${n}` } } })).encode(), 30_000);
      }
    };
    // A failed write ends the run with its error once the others are stopped.
    const writers = Promise.all([writer(), writer(), writer(), writer()]).finally(() => (writing = false));
    writers.catch(() => undefined);
    const deadline = Date.now() + 180_000;
    let stats = before;
    while (writing && !stats.every((s) => s.snapshotsTaken > 0)) {
      if (Date.now() > deadline) throw new Error(`not every member took a snapshot: ${JSON.stringify(stats.map((s) => s.snapshotsTaken))}`);
      await new Promise((r) => setTimeout(r, 200));
      stats = await Promise.all(IDS.map((id) => cluster.ask<ChildStats>(id, 'stats', 30_000)));
    }
    // A little longer, so a late effect of the snapshot (an election) would show.
    await new Promise((r) => setTimeout(r, 3_000));
    writing = false;
    await writers;
    const after = await Promise.all(IDS.map((id) => cluster.ask<ChildStats>(id, 'stats')));
    const old = await cluster.ask<{ ms: number; bytes: number }>(via, 'sync-encode', 60_000);

    const tasks = after[0]!.taskCount;
    const bytes = Math.max(...after.map((s) => s.lastSnapshot?.bytes ?? 0));
    const encodeMs = Math.max(...after.map((s) => s.lastSnapshot?.encodeMs ?? 0));
    const block = Math.max(...after.map((s) => s.loopMaxBlockMs));
    const elections = Math.max(...after.map((s) => s.term)) - Math.max(...before.map((s) => s.term));
    process.stdout.write(
      `snapshot: tasks=${tasks} bytes=${bytes} encode_ms=${encodeMs.toFixed(0)} loop_max_block_ms=${block.toFixed(0)} elections=${elections} ` +
        `old_loop_block_ms=${old.ms.toFixed(0)} block_ratio=${(block / old.ms).toFixed(2)} writes_during=${seq}\n`,
    );
  } finally {
    await cluster.stop();
  }
}

await main();
process.exit(0);
