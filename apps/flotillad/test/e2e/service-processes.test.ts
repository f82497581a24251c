// Issue 16: the scheduler as its own processes. One real manager (`--services orchestrator,allocator`)
// and `flotillad service scheduler` processes, each with its own service certificate, NATS user and
// store replica followed over NATS. One holds the scheduler's lease and places tasks; killed, another
// takes over and places the next service; a holder paused (SIGSTOP) past its lease while a placement
// of its own is on the way finds that write refused by the lease fence when it resumes (SIGCONT).
// Nothing is mocked; the one knob is FLOTILLA_FAULT_DELAY_WRITES_MS (service-processes helper), which
// holds the paused holder's write so it is sent after the takeover, as a GC pause at the worst moment would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSplitSchedulerCluster, type SchedulerProcess, type SplitSchedulerCluster } from '../helpers/service-processes.js';
import { waitFor } from '../helpers/wait.js';

const ADDR = '127.0.0.91';
const IMAGE = 'flotilla/busybox:latest';
const LONG = 90_000;

let c: SplitSchedulerCluster;

beforeAll(async () => {
  c = await startSplitSchedulerCluster(ADDR, 'flotillad-service-processes-');
}, LONG);

afterAll(async () => {
  await c?.stop();
}, LONG);

const holderOf = (procs: readonly SchedulerProcess[], pid: number): SchedulerProcess => {
  const p = procs.find((x) => x.pid === pid);
  if (!p) throw new Error(`the scheduler lease is held by pid ${pid}, not one of ${procs.map((x) => x.pid).join(', ')}`);
  return p;
};

const logLines = (p: SchedulerProcess): Array<Record<string, unknown>> =>
  p.proc.stderr().split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe('the scheduler as its own processes', () => {
  const procs: SchedulerProcess[] = [];

  it('a scheduler process with a worker token instead of the service token is refused and exits 1 with one clear line', async () => {
    const workerToken = (await c.cluster.ok(c.manager, 'swarm', 'join-token', '-q', 'worker')).trim();
    const bad = c.startScheduler({ FLOTILLA_SERVICE_TOKEN: workerToken });
    const done = await bad.proc.exited;
    expect(done.code).toBe(1);
    expect(done.stderr.split('\n').filter((l) => l.startsWith('flotillad service scheduler: '))).toEqual([expect.stringMatching(/invalid join token/i)]);
  }, LONG);

  it('two scheduler processes: one holds the lease and places a new service; info shows both and the holder', async () => {
    procs.push(c.startScheduler(), c.startScheduler());
    const first = await waitFor('a scheduler process to hold the lease', () => c.schedulerHolder(), 30_000);
    holderOf(procs, first.pid);
    const info = await c.cluster.ok(c.manager, 'info');
    for (const p of procs) expect(info).toMatch(new RegExp(`^ {4}scheduler \\S+ \\(process pid ${p.pid} on [^)]*\\): (active \\(epoch ${first.epoch}\\)|standby)$`, 'm'));
    expect(info).toMatch(/^ {3}allocator: held by \S+ \(in the flotillad of manager \w+, pid \d+\), epoch \d+/m);
    await c.cluster.ok(c.manager, 'service', 'create', '--detach', '--replicas', '1', '--name', 'svc-a', IMAGE, 'sleep', '100000');
    await c.waitRunning('svc-a', 1);
  }, LONG);

  it('the active scheduler is killed: the other takes the lease over with a new epoch and places the next service', async () => {
    const before = (await c.schedulerHolder())!;
    const victim = holderOf(procs, before.pid);
    victim.proc.child.kill('SIGKILL');
    await victim.proc.exited;
    const after = await waitFor('another scheduler process to take the lease over', async () => {
      const h = await c.schedulerHolder();
      return h && h.pid !== before.pid ? h : undefined;
    }, 20_000);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(after.takeovers).toBe(before.takeovers + 1);
    await c.cluster.ok(c.manager, 'service', 'create', '--detach', '--replicas', '1', '--name', 'svc-b', IMAGE, 'sleep', '100000');
    await c.waitRunning('svc-b', 1);
  }, LONG);

  it("a holder paused past its lease cannot write when it resumes: the store refuses the old epoch's write", async () => {
    // The survivor stops gracefully (releasing the lease); a slow scheduler takes it, a plain one stands by.
    const survivor = holderOf(procs, (await c.schedulerHolder())!.pid);
    const slow = c.startScheduler({ FLOTILLA_FAULT_DELAY_WRITES_MS: '4000' });
    await waitFor('the slow scheduler to follow the store', () => (logLines(slow).some((l) => l['msg'] === 'service process running; candidate for its lease') ? true : undefined), 30_000);
    survivor.proc.child.kill('SIGTERM');
    await survivor.proc.exited;
    const slowHolds = await waitFor('the slow scheduler to hold the lease', async () => {
      const h = await c.schedulerHolder();
      return h?.pid === slow.pid ? h : undefined;
    }, 20_000);
    const standby = c.startScheduler();
    await waitFor('the standby to follow the store', () => (logLines(standby).some((l) => l['msg'] === 'service process running; candidate for its lease') ? true : undefined), 30_000);

    await c.cluster.ok(c.manager, 'service', 'create', '--detach', '--replicas', '1', '--name', 'svc-c', IMAGE, 'sleep', '100000');
    await waitFor('the slow scheduler to hold a placement of its own', () => (logLines(slow).some((l) => l['msg'] === 'fault injection: holding a write before sending it') ? true : undefined), 20_000);
    slow.proc.child.kill('SIGSTOP');
    try {
      const standbyHolds = await waitFor('the standby to take the lease over from the paused holder', async () => {
        const h = await c.schedulerHolder();
        return h?.pid === standby.pid ? h : undefined;
      }, 20_000);
      expect(standbyHolds.epoch).toBeGreaterThan(slowHolds.epoch);
      await c.waitRunning('svc-c', 1);
    } finally {
      slow.proc.child.kill('SIGCONT');
    }
    const refused = await waitFor('the resumed holder to find its write refused by the fence', () =>
      logLines(slow).find((l) => l['msg'] === 'write refused by the lease fence: this instance lost the lease'),
    );
    expect(refused['epoch']).toBe(slowHolds.epoch);
    await waitFor('the resumed holder to stop acting', () => (logLines(slow).some((l) => l['msg'] === 'lease lost; stopping') ? true : undefined));
    // The standby still holds the lease; the service placed once is still at 1/1.
    expect((await c.schedulerHolder())?.pid).toBe(standby.pid);
    await c.waitRunning('svc-c', 1);
  }, LONG);
});
