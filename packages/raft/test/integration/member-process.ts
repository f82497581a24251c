// A Raft member (with its store service) alone in a child process, so a test can kill it with
// SIGKILL: a real crash, with whatever the OS had not written lost. Driven over IPC:
//   parent -> { type: 'status' }
//   child  -> { type: 'ready' } | { type: 'status', applied, leader, isLeader, networkIds }
import { connectBus } from '@flotilla/bus';
import { pino } from 'pino';
import { RaftMember } from '../../src/member/member.js';
import { StoreService } from '../../src/store-service/server.js';

export interface MemberProcessConfig {
  id: number;
  clusterId: string;
  dataDir: string;
  bootstrap: number[];
  url: string;
  tls: { ca: string; cert: string; key: string };
}

const send = (m: unknown): void => void process.send?.(m);

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.RAFT_MEMBER_CONFIG ?? '') as MemberProcessConfig;
  const bus = await connectBus({ servers: [cfg.url], tls: cfg.tls, name: `member-${cfg.id}` });
  const member = await RaftMember.start({
    id: cfg.id,
    clusterId: cfg.clusterId,
    dataDir: cfg.dataDir,
    nc: bus.nc,
    bootstrap: cfg.bootstrap,
    tickMs: 25,
    electionTicks: 10,
    heartbeatTicks: 1,
    logger: pino({ level: process.env.RAFT_TEST_LOG ?? 'silent' }),
  });
  new StoreService({ member, nc: bus.nc, clusterId: cfg.clusterId }).start();
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'status') {
      const networkIds = [...member.store.view().networks.all()].map((n) => n.id);
      send({ type: 'status', applied: member.appliedIndex, leader: member.leaderId, isLeader: member.isLeader, networkIds });
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
