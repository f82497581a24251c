// Issue 16: how long the scheduler is away when its active process goes. One real manager whose
// scheduler runs apart (`--services orchestrator,allocator`) and two `flotillad service scheduler`
// processes (lease 1.5 s). Each rep: the holder goes, and a service is created at once; we measure
//   takeover_ms — holder gone → the standby's "lease acquired; acting" (its pino time stamp),
//   placed_ms   — holder gone → the new service at 1/1 (placed by the new holder, container running).
// Two ways to go, same reps each: SIGKILL (the standby must wait out the lease: the case the lease
// exists for) and SIGTERM (the holder releases it on the way out: the floor). Prints one line, with
// the ratio kill/stop of the takeover medians. Uses fixed loopback addresses: run under the lock.
//   flock /tmp/flotilla-e2e.lock tsx bench/scheduler-takeover.ts [--reps N]
import { parseArgs } from 'node:util';
import { SCHEDULER_LEASE_MS, startSplitSchedulerCluster, type SchedulerProcess, type SplitSchedulerCluster } from '../test/helpers/service-processes.js';
import { waitFor } from '../test/helpers/wait.js';
import { Cleanup } from './cleanup.js';

const ADDR = '127.0.0.92';
const IMAGE = 'flotilla/busybox:latest';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const reps = Number(values.reps);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be 1 or more, got ${values.reps}`);
const log = (line: string) => process.stderr.write(`${line}\n`);

function acquiredAt(p: SchedulerProcess, after: number): number | undefined {
  for (const line of p.proc.stderr().split('\n')) {
    if (!line.includes('lease acquired; acting')) continue;
    const entry = JSON.parse(line) as { time?: number };
    if ((entry.time ?? 0) >= after) return entry.time;
  }
  return undefined;
}

const following = (p: SchedulerProcess) => (p.proc.stderr().includes('service process running; candidate for its lease') ? true : undefined);

async function holderAmong(c: SplitSchedulerCluster, procs: readonly SchedulerProcess[]): Promise<SchedulerProcess> {
  return waitFor('a scheduler process holding the lease', async () => {
    const h = await c.schedulerHolder();
    return procs.find((p) => p.pid === h?.pid);
  }, 30_000);
}

async function rep(c: SplitSchedulerCluster, procs: SchedulerProcess[], n: number, how: 'SIGKILL' | 'SIGTERM'): Promise<{ takeoverMs: number; placedMs: number }> {
  const holder = await holderAmong(c, procs);
  const standby = procs.find((p) => p !== holder)!;
  await waitFor('the standby following the store', () => following(standby), 30_000);
  const goneAt = Date.now();
  holder.proc.child.kill(how);
  const name = `takeover-${how === 'SIGKILL' ? 'kill' : 'stop'}-${n}`;
  await c.cluster.ok(c.manager, 'service', 'create', '--detach', '--replicas', '1', '--name', name, IMAGE, 'sleep', '100000');
  await c.waitRunning(name, 1, 60_000);
  const placedMs = Date.now() - goneAt;
  const takeoverMs = (await waitFor('the standby to log taking the lease', () => acquiredAt(standby, goneAt))) - goneAt;
  await holder.proc.exited;
  procs.splice(procs.indexOf(holder), 1);
  procs.push(c.startScheduler());
  return { takeoverMs, placedMs };
}

const stats = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor((s.length - 1) / 2)]!, max: s[s.length - 1]! };
};

const cleanup = new Cleanup();
cleanup.onSignals(log);
try {
  log(`scheduler-takeover: starting a manager on ${ADDR} with the scheduler apart`);
  const c = await startSplitSchedulerCluster(ADDR, 'flotillad-bench-takeover-');
  cleanup.add('cluster and scheduler processes', () => c.stop());
  const procs = [c.startScheduler(), c.startScheduler()];
  const results: Record<'SIGKILL' | 'SIGTERM', { takeoverMs: number; placedMs: number }[]> = { SIGKILL: [], SIGTERM: [] };
  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    for (let n = 1; n <= reps; n++) {
      const r = await rep(c, procs, n, how);
      log(`scheduler-takeover: ${how} rep ${n}: takeover_ms=${r.takeoverMs} placed_ms=${r.placedMs}`);
      results[how].push(r);
    }
  }
  const kill = stats(results.SIGKILL.map((r) => r.takeoverMs));
  const killPlaced = stats(results.SIGKILL.map((r) => r.placedMs));
  const stop = stats(results.SIGTERM.map((r) => r.takeoverMs));
  const stopPlaced = stats(results.SIGTERM.map((r) => r.placedMs));
  process.stdout.write(
    `scheduler-takeover (lease ${SCHEDULER_LEASE_MS} ms, ${reps} reps each): kill takeover_ms p50=${kill.p50} max=${kill.max} placed_ms p50=${killPlaced.p50} max=${killPlaced.max}; ` +
      `graceful stop takeover_ms p50=${stop.p50} max=${stop.max} placed_ms p50=${stopPlaced.p50} max=${stopPlaced.max}; kill/stop takeover ${(kill.p50 / Math.max(1, stop.p50)).toFixed(1)}x\n`,
  );
} finally {
  await cleanup.runAll(log);
}
process.exit(0);
