// A Raft member (with its store service) alone in a child process, so a test or a benchmark can
// kill it with SIGKILL (a real crash, with whatever the OS had not written lost) or pause it with
// SIGSTOP (its NATS subscriptions stay registered). Driven over IPC:
//   parent -> { type: 'status' } | { type: 'stats' } | { type: 'probe-reset' } | { type: 'sync-encode' }
//   child  -> { type: 'ready' } | { type: 'status', applied, leader, isLeader, networkIds }
//           | { type: 'stats', term, leader, snapshotsTaken, lastSnapshot, loopMaxBlockMs, taskCount }
//           | { type: 'sync-encode', ms, bytes }: what the one-shot snapshot encoding (before it was
//             sliced) blocks this process for on the current store (a benchmark baseline)
import { RaftSnapshot } from '@flotilla/api';
import { connectBus } from '@flotilla/bus';
import { pino } from 'pino';
import { RaftMember } from '../../src/member/member.js';
import { encodeSnapshotFile } from '../../src/storage/snapshot-files.js';
import { StoreService } from '../../src/store-service/server.js';

export interface MemberProcessConfig {
  id: number;
  clusterId: string;
  dataDir: string;
  bootstrap: number[];
  url: string;
  tls: { ca: string; cert: string; key: string };
  /** Raft timing; default the tests' fast one (25 ms ticks, 10 ticks to an election). */
  tickMs?: number;
  electionTicks?: number;
  snapshotEvery?: number;
}

const send = (m: unknown): void => void process.send?.(m);

/**
 * The longest the event loop went without running a 5 ms timer (minus those 5 ms) since the last
 * reset: how long this process could not send a heartbeat.
 */
function loopBlockProbe(): { max(): number; reset(): void } {
  let last = performance.now();
  let max = 0;
  setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - 5);
    last = now;
  }, 5).unref();
  return { max: () => max, reset: () => void ((max = 0), (last = performance.now())) };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.RAFT_MEMBER_CONFIG ?? '') as MemberProcessConfig;
  const probe = loopBlockProbe();
  const bus = await connectBus({ servers: [cfg.url], tls: cfg.tls, name: `member-${cfg.id}` });
  const member = await RaftMember.start({
    id: cfg.id,
    clusterId: cfg.clusterId,
    dataDir: cfg.dataDir,
    nc: bus.nc,
    bootstrap: cfg.bootstrap,
    tickMs: cfg.tickMs ?? 25,
    electionTicks: cfg.electionTicks ?? 10,
    heartbeatTicks: 1,
    ...(cfg.snapshotEvery !== undefined ? { snapshotEvery: cfg.snapshotEvery } : {}),
    logger: pino({ level: process.env.RAFT_TEST_LOG ?? 'silent' }),
  });
  new StoreService({ member, nc: bus.nc, clusterId: cfg.clusterId }).start();
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'status') {
      const networkIds = [...member.store.view().networks.all()].map((n) => n.id);
      send({ type: 'status', applied: member.appliedIndex, leader: member.leaderId, isLeader: member.isLeader, networkIds });
    } else if (msg.type === 'stats') {
      const st = member.status();
      send({
        type: 'stats',
        term: st.term,
        leader: st.leader,
        applied: st.applied,
        snapshotsTaken: member.stats.snapshotsTaken,
        lastSnapshot: member.stats.lastSnapshot,
        loopMaxBlockMs: probe.max(),
        taskCount: member.store.view().tasks.count,
      });
    } else if (msg.type === 'sync-encode') {
      const t0 = performance.now();
      const data = Buffer.from(member.store.snapshot());
      const snap = RaftSnapshot.encode({ metadata: { index: member.appliedIndex, term: 1, confState: { voters: cfg.bootstrap, learners: [] } }, data }).finish();
      const file = encodeSnapshotFile({ index: member.appliedIndex, term: 1, data: snap });
      send({ type: 'sync-encode', ms: performance.now() - t0, bytes: file.length });
    } else if (msg.type === 'probe-reset') {
      probe.reset();
      send({ type: 'probe-reset' });
    }
  });
  // Exit with the parent: a test runner that dies must not leave members behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`member process failed: ${String(err)}\n`);
  process.exit(1);
});
