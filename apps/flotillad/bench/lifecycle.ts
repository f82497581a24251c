// Lifecycle of services under change, Flotilla against Docker's swarm mode on the same engine:
// (a) a service whose health check always fails (--health-cmd false --health-interval 1s
//     --health-retries 2, default stop grace and restart delay) -> first replacement started;
// (b) a rolling update of 10 replicas, parallelism 2, --stop-grace-period 0s, stop-first and
//     start-first -> all replaced, and the update completed.
// Real containers of flotilla/busybox:latest (swarm gets it by ID), never pulled.
//   tsx bench/lifecycle.ts [--quick] [--reps N] [--only health|stop-first|start-first[,...]] [--daemon-log FILE]
// --daemon-log appends the Flotilla daemon's debug log there, to trace a run against the events.
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { Cleanup } from './cleanup.js';
import { EngineWatch } from './engine-watch.js';
import { flotillaSwarm } from './flotilla.js';
import { timeHealthReplacement, timeRollingUpdate } from './lifecycle-scenarios.js';
import type { ServiceSystem } from './orchestrator.js';
import type { ScenarioContext } from './scenarios.js';
import { formatRatio, formatSeconds, median, ratio, renderTable } from './stats.js';
import { dockerSwarm } from './swarm.js';

type System = 'Flotilla' | 'swarm';
const SYSTEMS: readonly System[] = ['Flotilla', 'swarm'];

interface Figure {
  readonly id: string;
  readonly title: string;
  readonly samples: Record<System, number[]>;
}

const SCENARIO_NAMES = ['health', 'stop-first', 'start-first'] as const;
type ScenarioName = (typeof SCENARIO_NAMES)[number];
const USAGE = `lifecycle.ts [--quick] [--reps N] [--only ${SCENARIO_NAMES.join('|')}[,...]] [--daemon-log FILE]`;

interface Args {
  reps: number;
  only: ReadonlySet<ScenarioName>;
  daemonLog?: string;
}

function parseArgs(argv: readonly string[]): Args {
  let reps = 3;
  let only = new Set<ScenarioName>(SCENARIO_NAMES);
  let daemonLog: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') reps = 1;
    else if (arg === '--reps') {
      reps = Number(argv[++i]);
      if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps wants a whole number >= 1, got ${argv[i]}`);
    } else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',');
      const unknown = names.filter((n) => !(SCENARIO_NAMES as readonly string[]).includes(n));
      if (unknown.length > 0) throw new Error(`--only wants ${SCENARIO_NAMES.join(', ')}; got ${unknown.join(', ')}`);
      only = new Set(names as ScenarioName[]);
    } else if (arg === '--daemon-log') {
      daemonLog = argv[++i];
      if (!daemonLog) throw new Error('--daemon-log wants a file name');
    } else throw new Error(`unknown argument ${arg} (usage: ${USAGE})`);
  }
  return { reps, only, ...(daemonLog ? { daemonLog } : {}) };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

const figures: Figure[] = [
  { id: 'health', title: 'unhealthy -> first replacement started', samples: { Flotilla: [], swarm: [] } },
  { id: 'stop-first-replaced', title: 'update 10, par 2, stop-first -> all replaced', samples: { Flotilla: [], swarm: [] } },
  { id: 'stop-first-completed', title: 'update 10, par 2, stop-first -> completed', samples: { Flotilla: [], swarm: [] } },
  { id: 'start-first-replaced', title: 'update 10, par 2, start-first -> all replaced', samples: { Flotilla: [], swarm: [] } },
  { id: 'start-first-completed', title: 'update 10, par 2, start-first -> completed', samples: { Flotilla: [], swarm: [] } },
];
const figure = (id: string) => figures.find((f) => f.id === id)!;

function report(): string {
  const rows = figures.map((f) => {
    const [fl, sw] = [median(f.samples.Flotilla), median(f.samples.swarm)];
    return [f.title, formatSeconds(fl), formatSeconds(sw), formatRatio(ratio(fl, sw)), String(Math.min(f.samples.Flotilla.length, f.samples.swarm.length))];
  });
  const vs = (id: string) => {
    const r = ratio(median(figure(id).samples.Flotilla), median(figure(id).samples.swarm));
    return r === undefined ? 'n/a' : r.toFixed(2);
  };
  return [
    renderTable(['scenario (median)', 'Flotilla', 'swarm', 'Flotilla/swarm', 'runs'], rows),
    '',
    `lifecycle: health_vs_swarm=${vs('health')} update_stop_first_vs_swarm=${vs('stop-first-completed')} update_start_first_vs_swarm=${vs('start-first-completed')}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { reps, only, daemonLog } = parseArgs(process.argv.slice(2));
  const run = randomBytes(3).toString('hex');
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const cleanup = new Cleanup();
  cleanup.onSignals(log);
  try {
    const watch = await EngineWatch.open(docker);
    cleanup.add('close the event stream', async () => watch.close());
    const systems = new Map<System, ServiceSystem>([
      ['Flotilla', await flotillaSwarm(docker, cleanup, daemonLog ? { daemonLog } : {})],
      ['swarm', await dockerSwarm(cleanup)],
    ]);
    log('lifecycle: Flotilla and swarm ready');
    const ctx: ScenarioContext = { docker, watch };
    for (let rep = 1; rep <= reps; rep++) {
      for (const name of SYSTEMS) {
        if (cleanup.started) return;
        const system = systems.get(name)!;
        const service = (what: string) => `lc-${run}-${what}-${name.toLowerCase()}-r${rep}`;
        if (only.has('health')) {
          const health = await timeHealthReplacement(ctx, system, service('health'));
          figure('health').samples[name].push(health);
          log(`lifecycle: rep ${rep} ${name} unhealthy -> replacement started: ${formatSeconds(health)}`);
        }
        for (const order of ['stop-first', 'start-first'] as const) {
          if (cleanup.started) return;
          if (!only.has(order)) continue;
          const t = await timeRollingUpdate(ctx, system, service(order), 10, order);
          figure(`${order}-replaced`).samples[name].push(t.replacedMs);
          figure(`${order}-completed`).samples[name].push(t.completedMs);
          log(`lifecycle: rep ${rep} ${name} update ${order} (issued ${t.issuedAt.toISOString()}): replaced ${formatSeconds(t.replacedMs)}, completed ${formatSeconds(t.completedMs)}`);
        }
      }
    }
  } finally {
    await cleanup.runAll(log);
  }
  process.stdout.write(`${report()}\n`);
}

main().catch((err: unknown) => {
  log(`lifecycle: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
