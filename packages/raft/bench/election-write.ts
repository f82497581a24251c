// How long a write takes when it is issued the moment the leader is lost: SIGKILLed together with
// its nats-server (its machine died) or paused with SIGSTOP (its subscriptions stay registered, so
// requests routed to it go unanswered). Three members in their own processes, each on its own
// clustered nats-server, with flotillad's Raft timing (100 ms ticks, 10 ticks to an election);
// the client is on a surviving member's server, as a follower manager's forwarding is. Each round
// loses the current leader, writes once through StoreClient.propose (15 s deadline), then brings
// the member back (restart, or SIGCONT) before the next round.
//
//   pnpm --filter @flotilla/raft exec tsx bench/election-write.ts [--rounds 20] [--leader kill|stop]
//
// One line per mode: election-write: leader=kill rounds=… p50_ms=… p99_ms=… max_ms=… timeouts=…
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { StoreClient } from '../src/store-service/client.js';
import { TransactionBuilder } from '../src/store/transaction.js';
import { Network } from '@flotilla/api';
import { ProcessCluster } from './process-cluster.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' }, leader: { type: 'string', default: 'both' } } });
const rounds = Number(values.rounds);
const modes = values.leader === 'both' ? (['kill', 'stop'] as const) : [values.leader as 'kill' | 'stop'];
const IDS = [1, 2, 3];

let seq = 0;
const tx = (): Uint8Array =>
  new TransactionBuilder(`bench-${process.pid}-${seq}`, Date.now())
    .create('network', Network.fromPartial({ id: `net-${seq}`, spec: { annotations: { name: `n-${seq++}` } } }))
    .encode();

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function main(): Promise<void> {
  const cluster = await ProcessCluster.start(3, { tickMs: 100, electionTicks: 10 });
  try {
    for (const mode of modes) {
      const latencies: number[] = [];
      let timeouts = 0;
      for (let r = 0; r < rounds; r++) {
        const leader = await cluster.leader(IDS);
        const via = IDS.find((id) => id !== leader)!;
        const client = new StoreClient({ nc: cluster.clients.get(via)!.nc, clusterId: cluster.clusterId });
        await client.propose(tx(), 15_000); // warm: the path works and knows the leader
        // Lose the leader at a random point between two heartbeats.
        await new Promise((res) => setTimeout(res, Math.random() * 100));
        if (mode === 'kill') await cluster.killWithServer(leader);
        else cluster.members.get(leader)!.kill('SIGSTOP');
        const t0 = performance.now();
        try {
          await client.propose(tx(), 15_000);
          latencies.push(performance.now() - t0);
          process.stderr.write(`round ${r} (${mode}): ${(performance.now() - t0).toFixed(0)} ms\n`);
        } catch (err) {
          timeouts++;
          process.stderr.write(`round ${r} (${mode}): ${(err as Error).message}\n`);
        }
        if (mode === 'kill') {
          await waitForServer(cluster, leader);
          await cluster.startMember(leader);
        } else {
          cluster.members.get(leader)!.kill('SIGCONT');
        }
        await cluster.leader(IDS);
      }
      latencies.sort((a, b) => a - b);
      const f = (n: number): string => n.toFixed(0);
      process.stdout.write(
        `election-write: leader=${mode} rounds=${rounds} p50_ms=${f(pct(latencies, 50))} p99_ms=${f(pct(latencies, 99))} max_ms=${f(latencies[latencies.length - 1] ?? NaN)} timeouts=${timeouts}\n`,
      );
    }
  } finally {
    await cluster.stop();
  }
}

/** The supervisor restarts a killed nats-server by itself; wait until it accepts connections again. */
async function waitForServer(cluster: ProcessCluster, id: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  const accepts = (): Promise<boolean> =>
    new Promise((resolve) => {
      const sock = connect(cluster.server(id).clientPort, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
  while (cluster.server(id).pid === undefined || !(await accepts())) {
    if (Date.now() > deadline) throw new Error(`nats-server ${id} did not come back`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

await main();
process.exit(0);
