// Raft benchmark: our 3-member Raft (RaftMember + WAL with real fsync + NATS transport over a
// real mTLS nats-server on loopback) against a 3-member etcd 3.4 cluster started here.
// Our three members run in this one process, each with its own NATS connection and WAL dir.
// Commits/s and p50/p99 commit latency (propose -> applied on the leader; etcd: put -> reply)
// for 64-byte and 1-KiB proposals at concurrency 1 and 64.
//   npm run bench:raft      (or: pnpm --filter @flotilla/raft exec tsx bench/raft-vs-etcd.ts)
// Env: BENCH_SECONDS (per configuration, default 5).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Network } from '@flotilla/api';
import { makeTestPki, startTestNats } from '@flotilla/testkit';
import { pino } from 'pino';
import { RaftMember } from '../src/member/member.js';
import { TransactionBuilder } from '../src/store/transaction.js';
import { ensureEtcdInstalled, startEtcdCluster } from './raft-etcd-cluster.js';
import { fmt, runLoad, type LoadResult } from './raft-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONFIGS: Array<{ size: number; concurrency: number }> = [
  { size: 1024, concurrency: 1 },
  { size: 1024, concurrency: 64 },
  { size: 64, concurrency: 1 },
  { size: 64, concurrency: 64 },
];

/** A store transaction creating one network, padded (in a label) to `size` encoded bytes. */
function proposal(prefix: string, seq: number, size: number): Uint8Array {
  const id = `${prefix}${seq.toString(36).padStart(6, '0')}`;
  const make = (pad: number): Uint8Array =>
    new TransactionBuilder(id, 1_700_000_000_000)
      .create('network', Network.fromPartial({ id, spec: { annotations: { name: id, labels: { p: 'x'.repeat(pad) } } } }))
      .encode();
  let pad = Math.max(0, size - make(0).length);
  let tx = make(pad);
  while (tx.length > size && pad > 0) tx = make(--pad);
  return tx;
}

async function benchOurs(work: string): Promise<Map<string, LoadResult>> {
  const ids = [1, 2, 3];
  const pki = await makeTestPki(join(work, 'pki'), { clients: ids.map((id) => ({ name: `m${id}`, cn: `member-${id}` })) });
  const nats = await startTestNats({ pki });
  const members: RaftMember[] = [];
  const results = new Map<string, LoadResult>();
  try {
    for (const id of ids) {
      const bus = await nats.connect(`m${id}`);
      members.push(
        await RaftMember.start({
          id,
          clusterId: 'bench',
          dataDir: join(work, `member-${id}`),
          nc: bus.nc,
          bootstrap: ids,
          tickMs: 100,
          electionTicks: 10,
          heartbeatTicks: 1,
          // etcd 3.4's default --snapshot-count; the run stays below it on both sides. (With three
          // members in one process, three simultaneous store snapshots stall the shared event loop.)
          snapshotEvery: 100_000,
          logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }),
        }),
      );
    }
    const leader = await waitForLeader(members);
    for (const [ci, { size, concurrency }] of CONFIGS.entries()) {
      const sample = proposal(`c${ci}-`, 0, size);
      const r = await runLoad(concurrency, SECONDS * 1000, async (seq) => {
        const a = await leader.propose(proposal(`c${ci}-`, seq, size));
        if (a.result && !a.result.ok) throw a.result.error;
      });
      results.set(`${size}/${concurrency}`, r);
      console.log(
        `ours  size=${size} (tx ${sample.length} B) concurrency=${concurrency} ops=${r.ops} commits_per_s=${fmt(r.commitsPerS, 0)} p50_ms=${fmt(r.p50Ms)} p99_ms=${fmt(r.p99Ms)}`,
      );
    }
  } finally {
    for (const m of members) await m.stop().catch(() => undefined);
    await nats.stop();
  }
  return results;
}

async function waitForLeader(members: RaftMember[]): Promise<RaftMember> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const l = members.find((m) => m.isLeader);
    if (l && members.every((m) => m.leaderId === l.id)) {
      // Let the leader commit an entry of its term first.
      await l.readBarrier();
      return l;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no raft leader within 30 s');
}

async function benchEtcd(work: string): Promise<Map<string, LoadResult>> {
  ensureEtcdInstalled();
  const results = new Map<string, LoadResult>();
  const etcd = await startEtcdCluster(join(work, 'etcd'), 64);
  try {
    const leader = await etcd.leaderEndpoint();
    for (const [ci, { size, concurrency }] of CONFIGS.entries()) {
      const r = await runLoad(concurrency, SECONDS * 1000, async (seq) => {
        const key = `c${ci}-${seq.toString(36).padStart(6, '0')}`;
        await etcd.put(leader, key, Buffer.alloc(Math.max(1, size - key.length), 0x78));
      });
      results.set(`${size}/${concurrency}`, r);
      console.log(
        `etcd  size=${size} concurrency=${concurrency} ops=${r.ops} commits_per_s=${fmt(r.commitsPerS, 0)} p50_ms=${fmt(r.p50Ms)} p99_ms=${fmt(r.p99Ms)}`,
      );
    }
  } finally {
    await etcd.stop();
  }
  return results;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'flotilla-raft-bench-'));
  try {
    console.log(`raft benchmark: 3 members, ${SECONDS} s per configuration, data in ${work} (${process.platform}, node ${process.version})`);
    const ours = await benchOurs(join(work, 'ours'));
    const etcd = await benchEtcd(work);
    const o = ours.get('64/64')!;
    const e = etcd.get('64/64')!;
    console.log(
      `raft: members=3 size=64 concurrency=64 commits_per_s=${fmt(o.commitsPerS, 0)} p50_ms=${fmt(o.p50Ms)} p99_ms=${fmt(o.p99Ms)} ` +
        `etcd_commits_per_s=${fmt(e.commitsPerS, 0)} etcd_p50_ms=${fmt(e.p50Ms)} tput_ratio=${fmt(o.commitsPerS / e.commitsPerS)} p50_ratio=${fmt(o.p50Ms / e.p50Ms)}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
