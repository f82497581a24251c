// A manager whose scheduler runs apart (issue 16): one real flotillad on its own loopback address
// with `--services orchestrator,allocator`, and `flotillad service scheduler` processes started and
// stopped by the test (real processes: their own certificates, NATS connections, store replicas).
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from './loopback-cluster.js';
import { spawnDaemon, type DaemonProcess } from './processes.js';
import { waitFor } from './wait.js';

export interface SchedulerProcess {
  readonly proc: DaemonProcess;
  readonly pid: number;
}

export interface SplitSchedulerCluster {
  readonly cluster: LoopbackCluster;
  readonly manager: LoopbackHost;
  readonly joinAddr: string;
  readonly serviceToken: string;
  /** Starts a `flotillad service scheduler` process; `env` adds to this process's environment. */
  startScheduler(env?: Readonly<Record<string, string>>): SchedulerProcess;
  /** The scheduler lease's holder as `flotilla info` shows it: its pid (processes only) and epoch; undefined while released or held in a manager. */
  schedulerHolder(): Promise<{ pid: number; epoch: number; takeovers: number } | undefined>;
  /** Waits until `flotilla service ls` shows NAME with n/n replicas. */
  waitRunning(name: string, replicas: number, deadlineMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const SCHEDULER_LEASE_MS = 1_500;

export async function startSplitSchedulerCluster(addr: string, tmpPrefix: string): Promise<SplitSchedulerCluster> {
  const cluster = await startLoopbackCluster({ addrs: [addr], names: ['svc-m1'], tmpPrefix, daemonArgs: ['--services', 'orchestrator,allocator'] });
  const manager = cluster.hosts[0]!;
  const started: SchedulerProcess[] = [];
  try {
    const joinAddr = `${addr}:${cluster.joinPort}`;
    const out = await cluster.ok(manager, 'swarm', 'init', '--advertise-addr', addr, '--listen-addr', joinAddr);
    manager.nodeId = /current node \((\w+)\)/.exec(out)![1]!;
    const serviceToken = (await cluster.ok(manager, 'swarm', 'join-token', '-q', 'service')).trim();
    return {
      cluster,
      manager,
      joinAddr,
      serviceToken,
      startScheduler(env = {}) {
        const proc = spawnDaemon(['service', 'scheduler', '--join', joinAddr, '--lease-duration', `${SCHEDULER_LEASE_MS}ms`], {
          env: { ...process.env, FLOTILLA_SERVICE_TOKEN: serviceToken, ...env },
        });
        const p = { proc, pid: proc.pid };
        started.push(p);
        return p;
      },
      async schedulerHolder() {
        const run = await cluster.cli(manager, 'info');
        const m = /^ {3}scheduler: held by \S+ \(process pid (\d+) on [^)]*\), epoch (\d+), (\d+) takeovers?$/m.exec(run.stdout);
        return m ? { pid: Number(m[1]), epoch: Number(m[2]), takeovers: Number(m[3]) } : undefined;
      },
      async waitRunning(name, replicas, deadlineMs = 30_000) {
        await waitFor(`${name} at ${replicas}/${replicas}`, async () => {
          const ls = await cluster.cli(manager, 'service', 'ls');
          return ls.stdout.split('\n').some((l) => l.includes(` ${name} `) && l.includes(` ${replicas}/${replicas} `)) ? true : undefined;
        }, deadlineMs);
      },
      async stop() {
        for (const p of started) {
          if (p.proc.child.exitCode === null && p.proc.child.signalCode === null) {
            p.proc.child.kill('SIGCONT');
            p.proc.child.kill('SIGKILL');
          }
          await p.proc.exited.catch(() => undefined);
        }
        await cluster.stop();
      },
    };
  } catch (err) {
    for (const p of started) p.proc.child.kill('SIGKILL');
    await cluster.stop();
    throw err;
  }
}
