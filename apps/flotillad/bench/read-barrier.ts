// What a linearizable `service ls` costs over reading the local store (issue 14, item 4).
// Three real Raft members (flotillad's timing: 100 ms ticks) over one real mutual-TLS nats-server,
// a store with 30 services of 5 tasks; each call builds ListServices' answer the way the control
// handler does. Measured on the leader and on a follower:
//   local      — the answer from the member's own store (what every manager did before),
//   barrier    — awaitReadBarrier (read index through the leader) and then the same answer,
//   burst of 50 — 50 concurrent barrier reads: wall time of the burst and read-index rounds used.
//   tsx bench/read-barrier.ts [--reads N] [--bursts N]
// One nats-server stands for the managers' routed ones, so a follower's hop to the leader is one
// server shorter here than between machines.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Node, NodeState, Service, Task, TaskState } from '@flotilla/api';
import { RaftMember, TransactionBuilder, type ReadTx } from '@flotilla/raft';
import { makeTestPki, startTestNats, tempDir, waitFor } from '@flotilla/testkit';
import { awaitReadBarrier, readBarrierStats } from '../src/manager/linearizable-reads.js';
import { serviceView } from '../src/control/views.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '300' }, bursts: { type: 'string', default: '20' } } });
const reads = Number(values.reads);
const bursts = Number(values.bursts);
if (!Number.isInteger(reads) || reads < 10) throw new Error(`--reads must be 10 or more, got ${values.reads}`);
if (!Number.isInteger(bursts) || bursts < 1) throw new Error(`--bursts must be 1 or more, got ${values.bursts}`);
const BURST = 50;

/** ListServices' answer, as control/service-handlers.ts builds it. */
function listServices(view: ReadTx): number {
  const ready = [...view.nodes.all()].filter((n) => n.status?.state === NodeState.NODE_STATE_READY).length;
  return [...view.services.all()].map((s) => serviceView(s, view.tasks.byService(s.id), ready)).length;
}

function seedTransaction(): Uint8Array {
  const tx = new TransactionBuilder('seed', Date.now());
  for (let n = 0; n < 3; n++) tx.create('node', Node.fromPartial({ id: `node-${n}`, status: { state: NodeState.NODE_STATE_READY } }));
  for (let s = 0; s < 30; s++) {
    tx.create('service', Service.fromPartial({ id: `svc-${s}`, spec: { annotations: { name: `svc-${s}` }, replicas: 5 }, specVersion: 1 }));
    for (let t = 0; t < 5; t++) {
      tx.create('task', Task.fromPartial({ id: `task-${s}-${t}`, serviceId: `svc-${s}`, slot: t + 1, nodeId: `node-${t % 3}`, desiredState: TaskState.TASK_STATE_RUNNING, status: { state: TaskState.TASK_STATE_RUNNING } }));
    }
  }
  return tx.encode();
}

async function timeEach(n: number, op: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    out.push(performance.now() - t0);
  }
  return out;
}

const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(2)} ms`);

const tmp = await tempDir('flotilla-read-barrier-bench-');
const members: RaftMember[] = [];
try {
  const ids = [1, 2, 3];
  const pki = await makeTestPki(join(tmp.path, 'pki'), { clients: ids.map((id) => ({ name: `m${id}`, cn: `member-${id}` })) });
  const nats = await startTestNats({ pki });
  for (const id of ids) {
    const bus = await nats.connect(`m${id}`);
    members.push(await RaftMember.start({ id, clusterId: 'bench', dataDir: join(tmp.path, `m${id}`), nc: bus.nc, bootstrap: ids }));
  }
  const leader = await waitFor(() => members.find((m) => m.isLeader && members.every((o) => o.leaderId === m.id)), { what: 'a leader', timeoutMs: 30_000 });
  const follower = members.find((m) => m !== leader)!;
  const seeded = await leader.propose(seedTransaction());
  await waitFor(() => members.every((m) => m.appliedIndex >= seeded.index), { what: 'the seed applied everywhere' });

  const row = async (member: RaftMember) => {
    const local = median(await timeEach(reads, () => listServices(member.store.view())));
    const barrier = median(
      await timeEach(reads, async () => {
        await awaitReadBarrier(member);
        return listServices(member.store.view());
      }),
    );
    const before = readBarrierStats(member);
    const burstTimes = await timeEach(bursts, () =>
      Promise.all(
        Array.from({ length: BURST }, async () => {
          await awaitReadBarrier(member);
          return listServices(member.store.view());
        }),
      ),
    );
    const after = readBarrierStats(member);
    return { local, barrier, burst: median(burstTimes), roundsPerBurst: (after.barriers - before.barriers) / bursts };
  };
  const l = await row(leader);
  const f = await row(follower);
  process.stderr.write(`${JSON.stringify({ reads, bursts, burstSize: BURST, leader: l, follower: f })}\n`);
  console.log(
    `read-barrier service-ls (30 services, 150 tasks): local ${ms(l.local)}; leader barrier ${ms(l.barrier)} (+${ms((l.barrier ?? 0) - (l.local ?? 0))}); ` +
      `follower barrier ${ms(f.barrier)} (+${ms((f.barrier ?? 0) - (f.local ?? 0))}); burst of ${BURST} leader ${ms(l.burst)} in ${l.roundsPerBurst.toFixed(1)} rounds, ` +
      `follower ${ms(f.burst)} in ${f.roundsPerBurst.toFixed(1)} rounds (medians)`,
  );
  await Promise.all(members.map((m) => m.stop()));
  await nats.stop();
} finally {
  await Promise.all(members.map((m) => m.stop().catch(() => undefined)));
  await tmp.cleanup();
}
