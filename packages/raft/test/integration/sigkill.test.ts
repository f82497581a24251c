// A real crash or pause: the leader runs in a child process and is killed with SIGKILL, or
// paused with SIGSTOP, while a remote client keeps writing through the store service. Every write
// the client saw acknowledged must be on every member afterwards exactly once, including the
// killed one once restarted from its data dir.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@flotilla/testkit';
import { StoreClient } from '../../src/store-service/client.js';
import { StoreService } from '../../src/store-service/server.js';
import { TestCluster, createNetworkTx } from './cluster.js';
import type { MemberProcessConfig } from './member-process.js';

interface ChildStatus {
  applied: number;
  leader: number;
  isLeader: boolean;
  networkIds: string[];
}

const script = fileURLToPath(new URL('./member-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

let cluster: TestCluster | undefined;
const children: ChildProcess[] = [];
const services: StoreService[] = [];
afterEach(async () => {
  for (const ch of children.splice(0)) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
  await Promise.all(services.splice(0).map((s) => s.stop()));
  await cluster?.stop();
  cluster = undefined;
});

async function startChild(c: TestCluster, id: number): Promise<ChildProcess> {
  const cfg: MemberProcessConfig = {
    id,
    clusterId: c.clusterId,
    dataDir: c.slot(id).dataDir,
    bootstrap: c.voters,
    url: c.nats.url,
    tls: c.nats.tlsFor(`m${id}`),
  };
  const child = fork(script, [], {
    cwd: packageDir,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, RAFT_MEMBER_CONFIG: JSON.stringify(cfg) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`member process ${id} exited with ${code} before it was ready`)));
    child.on('message', (m: { type: string }) => m.type === 'ready' && resolve());
  });
  return child;
}

function childStatus(child: ChildProcess): Promise<ChildStatus> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('member process did not answer a status request')), 2_000);
    const on = (m: { type: string } & ChildStatus): void => {
      if (m.type !== 'status') return;
      clearTimeout(t);
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send({ type: 'status' });
  });
}

/**
 * The leader runs in a child process; four writers go on through one StoreClient (same bytes on
 * every retry) while the child is killed (SIGKILL) or paused (SIGSTOP: its subscriptions stay
 * registered, so requests routed to it go unanswered) and later continued. Every acknowledged
 * write must then be on every member exactly once: applied by its first entry (the object's
 * version is the index the request table recorded for its id) and never answered as a refusal,
 * which a second application would have produced (its name is taken by then).
 */
async function leaderProcessLost(how: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  cluster = await TestCluster.start(3, {}, 0, [3]);
  const c = cluster;
  for (const id of [1, 2]) {
    const s = c.slot(id);
    const svc = new StoreService({ member: s.member!, nc: s.bus!.nc, clusterId: c.clusterId });
    svc.start();
    services.push(svc);
  }
  let child = await startChild(c, 3);
  // Make the child process the leader.
  const inProc = [1, 2].map((id) => c.member(id));
  await waitFor(() => inProc[0]!.leaderId !== 0 && inProc.every((m) => m.leaderId === inProc[0]!.leaderId), { what: 'a leader' });
  const lead = inProc.find((m) => m.isLeader);
  lead?.transferLeadership(3);
  await waitFor(() => inProc.every((m) => m.leaderId === 3), { what: 'leadership to move to the child process', timeoutMs: 15_000 });

  const bus = await c.nats.connect('follower');
  const client = new StoreClient({ nc: bus.nc, clusterId: c.clusterId });
  const acked: string[] = [];
  const failures: string[] = [];
  let seq = 0;
  let writing = true;
  const writer = async (): Promise<void> => {
    while (writing) {
      const name = `w-${seq++}`;
      try {
        await client.propose(createNetworkTx(name), 20_000);
        acked.push(name);
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
  };
  const writers = [writer(), writer(), writer(), writer()];
  await waitFor(() => acked.length >= 40, { what: '40 acknowledged writes through the child leader' });
  child.kill(how);
  if (how === 'SIGKILL') await new Promise((r) => child.once('exit', r));
  const atLoss = acked.length;
  await waitFor(() => acked.length >= atLoss + 40, { what: '40 more writes acknowledged by the survivors', timeoutMs: 30_000 });
  expect(inProc.some((m) => m.isLeader)).toBe(true);
  if (how === 'SIGSTOP') child.kill('SIGCONT');
  else child = await startChild(c, 3);
  // Writes go on while the paused leader wakes up as a stale leader (or the killed one restarts).
  const atBack = acked.length;
  await waitFor(() => acked.length >= atBack + 20, { what: '20 more writes after the child is back', timeoutMs: 30_000 });
  writing = false;
  await Promise.all(writers);
  expect(failures).toEqual([]);

  const want = acked.map((n) => `net-${n}`);
  const back = await waitFor(
    async () => {
      const st = await childStatus(child);
      const have = new Set(st.networkIds);
      return want.every((id) => have.has(id)) ? st : undefined;
    },
    { what: 'the child to hold every acknowledged write', timeoutMs: 20_000 },
  );
  expect(back.networkIds.length).toBe(want.length);
  // A follower applies a write a little after the leader acknowledged it.
  await waitFor(() => inProc.every((m) => want.every((id) => m.store.view().get('network', id) !== undefined)), {
    what: 'the other members to hold every acknowledged write',
  });
  for (const m of inProc) {
    const view = m.store.view();
    expect(view.networks.count, `member ${m.id}`).toBe(want.length);
    const notFirst = acked.filter((n) => view.get('network', `net-${n}`)?.meta?.version !== m.store.recentRequest(`tx-${n}`)?.index);
    expect(notFirst, `writes on member ${m.id} whose object was not made by their recorded application`).toEqual([]);
  }
}

describe('a leader process lost under writes', () => {
  it('SIGKILL: no acknowledged write lost or applied twice, and the killed member catches up after a restart', async () => {
    await leaderProcessLost('SIGKILL');
  });

  it('SIGSTOP: requests routed to the paused leader are sent again; every write applies once, also after it wakes up', async () => {
    await leaderProcessLost('SIGSTOP');
  });
});
