// The control plane end to end: how long `service create --replicas N` takes to reach N running
// containers (N = 1, 10, 50, 100), how long `service rm` of 100 takes until all are gone, and how
// long 10 replicas take to be 10 again after one is killed: Flotilla against Docker's swarm mode
// on the same engine and against the floor (the same containers started straight through the
// Engine API, in parallel). Real containers of flotilla/busybox:latest, never pulled.
//   tsx bench/converge.ts [--quick] [--reps N] [--only create-1|create-10|create-50|create-100|rm-100|kill-1-of-10[,...]] [--daemon-log FILE]
// --daemon-log appends the Flotilla daemon's debug log there, to trace a run against the events.
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { Cleanup } from './cleanup.js';
import { EngineWatch } from './engine-watch.js';
import { FLOOR_LABEL, floorBaseline } from './floor.js';
import { flotillaSwarm } from './flotilla.js';
import type { Orchestrator } from './orchestrator.js';
import { renderReport, SYSTEMS, type ScenarioResult, type SystemName } from './report.js';
import { timeCreate, timeKillRecovery, timeRemove, type ScenarioContext } from './scenarios.js';
import { formatSeconds } from './stats.js';
import { dockerSwarm } from './swarm.js';

/**
 * The first repetition always runs in full; a later run of a scenario is skipped when what that
 * scenario cost in the first repetition would carry the total past this. N=100 and rm of 100 cost
 * over a minute each (teardowns included), so the cheap scenarios get more repetitions.
 */
const TIME_BUDGET_MS = 10 * 60_000;

interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly systems: readonly SystemName[];
  readonly measure: (ctx: ScenarioContext, system: Orchestrator, service: string) => Promise<number>;
}

const SCENARIOS: readonly Scenario[] = [
  ...[1, 10, 50, 100].map((n): Scenario => ({
    id: `create-${n}`,
    title: `create --replicas ${n} -> ${n} running`,
    systems: SYSTEMS,
    measure: (ctx, system, service) => timeCreate(ctx, system, service, n),
  })),
  {
    id: 'rm-100',
    title: 'rm of 100 -> all gone (10 s grace)',
    systems: SYSTEMS,
    measure: (ctx, system, service) => timeRemove(ctx, system, service, 100),
  },
  {
    id: 'kill-1-of-10',
    title: 'kill 1 of 10 -> 10 running',
    systems: ['Flotilla', 'swarm'],
    measure: (ctx, system, service) => timeKillRecovery(ctx, system, service, 10),
  },
];

const USAGE = `converge.ts [--quick] [--reps N] [--only ${SCENARIOS.map((s) => s.id).join('|')}[,...]] [--daemon-log FILE]`;

interface Args {
  reps: number;
  only: ReadonlySet<string>;
  daemonLog?: string;
}

function parseArgs(argv: readonly string[]): Args {
  let reps = 3;
  let only = new Set(SCENARIOS.map((s) => s.id));
  let daemonLog: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') reps = 1;
    else if (arg === '--reps') {
      reps = Number(argv[++i]);
      if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps wants a whole number >= 1, got ${argv[i]}`);
    } else if (arg === '--only') {
      const ids = (argv[++i] ?? '').split(',');
      const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
      if (unknown.length > 0) throw new Error(`--only wants ${SCENARIOS.map((s) => s.id).join(', ')}; got ${unknown.join(', ')}`);
      only = new Set(ids);
    } else if (arg === '--daemon-log') {
      daemonLog = argv[++i];
      if (!daemonLog) throw new Error('--daemon-log wants a file name');
    } else throw new Error(`unknown argument ${arg} (usage: ${USAGE})`);
  }
  return { reps, only, ...(daemonLog ? { daemonLog } : {}) };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { reps, only, daemonLog } = parseArgs(process.argv.slice(2));
  const began = Date.now();
  const run = randomBytes(3).toString('hex');
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const cleanup = new Cleanup();
  cleanup.onSignals(log);
  const results: ScenarioResult[] = SCENARIOS.map((s) => ({ id: s.id, title: s.title, samples: {}, missing: {} }));
  try {
    const watch = await EngineWatch.open(docker);
    cleanup.add('close the event stream', async () => watch.close());
    cleanup.add('remove floor containers', () => docker.listContainers({ all: true, filters: { label: [FLOOR_LABEL] } })
      .then((list) => Promise.all(list.filter((c) => c.Names.some((n) => n.includes(`bench-${run}-`))).map((c) => docker.getContainer(c.Id).remove({ force: true })))));
    const systems = new Map<SystemName, Orchestrator>([['floor', floorBaseline(docker)]]);
    const unavailable = new Map<SystemName, string>();
    for (const [name, start] of [['Flotilla', () => flotillaSwarm(docker, cleanup, daemonLog ? { daemonLog } : {})], ['swarm', () => dockerSwarm(cleanup)]] as const) {
      try {
        systems.set(name, await start());
        log(`converge: ${name} ready`);
      } catch (err) {
        unavailable.set(name, `did not start: ${(err as Error).message.split('\n')[0]}`);
        log(`converge: ${name} unavailable: ${(err as Error).message}`);
      }
    }
    const ctx: ScenarioContext = { docker, watch };
    const firstCost = new Map<string, number>();
    for (let rep = 1; rep <= reps; rep++) {
      for (const [i, scenario] of SCENARIOS.entries()) {
        const result = results[i]!;
        if (!only.has(scenario.id)) continue;
        if (rep > 1 && Date.now() - began + (firstCost.get(scenario.id) ?? 0) > TIME_BUDGET_MS) {
          log(`converge: rep ${rep} ${scenario.title} skipped (time budget)`);
          continue;
        }
        const scenarioBegan = Date.now();
        for (const name of scenario.systems) {
          const reason = unavailable.get(name) ?? result.missing[name];
          if (reason) {
            result.missing[name] = reason;
            continue;
          }
          // Interrupted: a measurement started now would create what cleanup has already swept.
          if (cleanup.started) return;
          const service = `bench-${run}-${scenario.id}-${name.toLowerCase()}-r${rep}`;
          try {
            const ms = await scenario.measure(ctx, systems.get(name)!, service);
            (result.samples[name] ??= []).push(ms);
            log(`converge: rep ${rep} ${scenario.title} ${name}: ${formatSeconds(ms)}`);
          } catch (err) {
            result.missing[name] = `failed: ${(err as Error).message.split('\n')[0]}`;
            log(`converge: ${scenario.title} ${name} failed: ${(err as Error).message}`);
          }
        }
        if (rep === 1) firstCost.set(scenario.id, Date.now() - scenarioBegan);
      }
    }
  } finally {
    await cleanup.runAll(log);
  }
  log(`converge: done in ${formatSeconds(Date.now() - began)}`);
  process.stdout.write(`${renderReport(results)}\n`);
}

main().catch((err: Error) => {
  log(`converge: ${err.message}`);
  process.exit(1);
});
