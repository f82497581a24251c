// One chaos run: a real cluster on test hosts (3 or 5 managers and 2 workers, each its own network
// namespace, Docker Engine and flotillad), concurrent clients writing and reading services, a
// seeded schedule of faults, then the verdicts: linearizable history, every acknowledged write
// present exactly once, convergence, and the observer's rules. Everything started is torn down
// in `finally`, and by the test hosts' exit handlers and watchdog if this process dies.
import { checkLinearizable, type CheckResult } from '@flotilla/testkit';
import type { ListServicesResponse } from '@flotilla/api';
import { startHostCluster, type HostCluster } from '../helpers/host-cluster.js';
import { control } from './control-calls.js';
import { exactlyOnce } from './exactly-once.js';
import { clockStepEnv, FaultInjector, healEverything, type FaultRecord } from './faults.js';
import { Observer } from './observer.js';
import { closingLine, violationWindows, type Summary } from './report.js';
import { planFaults, type FaultKind } from './schedule.js';
import { servicesModel, type ServiceInput, type ServiceOutput, type ServiceState } from './services-model.js';
import { stateOf, Workload, type ChaosOp } from './workload.js';

const sec = (ms: number): string => (ms / 1000).toFixed(1);

export interface ChaosOptions {
  readonly seed: number;
  /** Length of the faulty period with the clients running. */
  readonly seconds: number;
  readonly managers: 3 | 5;
  /** Only these kinds of fault (default: all). */
  readonly kinds?: readonly FaultKind[];
  readonly workers?: number;
  readonly clients?: number;
  /** Service names the clients share. */
  readonly names?: number;
  /** Longest wait for desired = actual after the faults (default 180 s). */
  readonly convergeBoundS?: number;
  /** Progress lines (default: stderr). */
  readonly say?: (line: string) => void;
}

export interface ChaosResult {
  readonly summary: Summary;
  readonly line: string;
  /** Everything that went wrong, one line (or block) each; empty on a clean run. */
  readonly problems: string[];
  readonly history: readonly ChaosOp[];
  readonly faults: readonly FaultRecord[];
}

export function reproduceCommand(o: ChaosOptions): string {
  const kinds = o.kinds ? ` --faults ${o.kinds.join(',')}` : '';
  return `flock /tmp/flotilla-e2e.lock npm run test:chaos -- --seconds ${o.seconds} --seed ${o.seed} --managers ${o.managers}${kinds}`;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const say = o.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const names = Array.from({ length: o.names ?? 6 }, (_, i) => `chaos-${i}`);
  const workers = o.workers ?? 2;
  say(`chaos: seed ${o.seed}: starting ${o.managers} managers and ${workers} workers on test hosts`);
  const cluster = await startHostCluster({
    count: o.managers + workers,
    managers: o.managers,
    dataTmpfsMb: 128,
    daemonEnv: clockStepEnv,
    logLevel: 'info',
    timeoutMs: 120_000,
  });
  try {
    return await runOn(cluster, o, names, now, say);
  } finally {
    say('chaos: tearing the test hosts down');
    await cluster.destroy();
  }
}

async function runOn(cluster: HostCluster, o: ChaosOptions, names: string[], now: () => number, say: (line: string) => void): Promise<ChaosResult> {
  const faults = new FaultInjector(cluster, now);
  const targets = faults.managers.map((m) => ({ name: m.name, socket: m.socket }));
  const workload = new Workload({ seed: o.seed, clients: o.clients ?? 4, names, managers: () => targets, now });
  const observer = new Observer(cluster, faults, names, now);
  const plan = planFaults({ seed: o.seed, seconds: o.seconds, managers: o.managers, ...(o.kinds ? { kinds: o.kinds } : {}) });
  const records: FaultRecord[] = [];
  const problems: string[] = [];
  const waitUntil = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, t - now())));

  const start = now();
  say(`chaos: cluster up after ${sec(start)} s; ${plan.length} faults planned over ${o.seconds} s`);
  workload.start();
  observer.start(3_000);

  // The schedule: each fault starts at its planned time, shifted by however late the heals before
  // it finished (a restarted daemon may take a while), and is healed when its hold is over. The
  // faulty period ends after `seconds`; planned faults that no longer fit are left out.
  const end = start + o.seconds * 1000;
  const healing = new Set<Promise<void>>();
  let shiftMs = 0;
  let lastEnd = 0;
  for (const p of plan) {
    const overlaps = p.atS * 1000 < lastEnd;
    lastEnd = Math.max(lastEnd, (p.atS + p.holdS) * 1000);
    if (!overlaps && healing.size > 0) {
      await Promise.all(healing);
      const planned = start + p.atS * 1000 + shiftMs;
      const calmUntil = now() + 2_000;
      if (calmUntil > planned) shiftMs += calmUntil - planned;
    }
    const at = start + p.atS * 1000 + shiftMs;
    if (at >= end) break;
    await waitUntil(at);
    const fault = await faults.start(p);
    records.push(fault.record);
    const r = fault.record;
    say(`chaos: ${sec(now())} s ${r.kind} ${r.skipped ? `skipped: ${r.skipped}` : `${r.nodes.join(',')}: ${r.detail}`}`);
    if (r.skipped) continue;
    const healAt = Math.min(end, now() + p.holdS * 1000);
    const done: Promise<void> = waitUntil(healAt)
      .then(() => fault.heal())
      .then(() => {
        healing.delete(done);
        say(`chaos: ${sec(now())} s healed ${r.kind} ${r.nodes.join(',')} (heal took ${sec(r.endMs! - healAt)} s)${r.healError ? `; heal failed: ${r.healError}` : ''}`);
      });
    healing.add(done);
  }
  await waitUntil(end);
  await Promise.all(healing);
  problems.push(...(await healEverything(cluster)).map((p) => `could not heal ${p}`));
  const faultsEnd = now();
  await workload.stop();
  say(`chaos: faults over at ${sec(faultsEnd)} s; clients stopped at ${sec(now())} s; waiting for convergence`);

  // Convergence: desired = actual within the bound.
  const bound = (o.convergeBoundS ?? 180) * 1000;
  let convergeS: number | undefined;
  let why: string | undefined = 'not checked';
  while (now() - faultsEnd < bound) {
    why = await observer.divergence().catch((err: unknown) => `checking: ${String(err)}`);
    if (why === undefined) {
      convergeS = (now() - faultsEnd) / 1000;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  await observer.stop();
  if (convergeS === undefined) problems.push(`no convergence within ${bound / 1000} s after the faults: ${why}`);
  problems.push(...observer.violations);

  // The final state, read from every manager: they must agree, and it closes the history.
  const history = [...workload.history];
  const final = await finalReads(cluster, names, now, history, problems);

  const check = checkLinearizable(servicesModel, history, { maxSteps: 20_000_000, timeoutMs: 120_000 });
  const once = exactlyOnce(history, final);
  problems.push(...once.lost.map((x) => `lost: ${x}`), ...once.duplicate.map((x) => `duplicate: ${x}`), ...once.refusedPresent.map((x) => `refused but present: ${x}`));
  problems.push(...violationWindows(check, records));
  if (check.verdict === 'unknown') problems.push(`linearizability undecided: the search ran out of steps on ${check.undecided.join(', ')}`);

  const summary: Summary = {
    seed: o.seed,
    faults: records.filter((r) => !r.skipped).length,
    ops: workload.history.length,
    acked: once.acked,
    lost: once.lost.length,
    duplicate: once.duplicate.length,
    linearizable: check.verdict === 'linearizable' ? 'yes' : check.verdict === 'not-linearizable' ? 'no' : 'unknown',
    convergeS,
  };
  say(statsLine(workload.history, check, observer.samples, records));
  return { summary, line: closingLine(summary), problems, history, faults: records };
}

/** Reads every name from every manager once all is quiet; adds them to the history; the leader's answer is the final state. */
async function finalReads(cluster: HostCluster, names: readonly string[], now: () => number, history: ChaosOp[], problems: string[]): Promise<Map<string, ServiceState>> {
  const final = new Map<string, ServiceState>();
  const seen = new Map<string, string>();
  for (const m of cluster.nodes.filter((n) => n.role === 'manager')) {
    const call = now();
    const r = await control<ListServicesResponse>(m.socket, 'listServices', {});
    const ret = now();
    if (!r.ok) {
      problems.push(`final service ls on ${m.name} failed: ${r.details}`);
      continue;
    }
    const states: string[] = [];
    for (const name of names) {
      const found = r.res.services.filter((v) => v.service?.spec?.annotations?.name === name);
      const state = stateOf(found[0]?.service);
      history.push({ client: -1, via: m.name, input: { name, kind: 'read' }, output: state, call, ret, outcome: 'ok', ids: found.map((v) => v.service!.id) });
      if (!final.has(name)) final.set(name, state);
      states.push(`${name}=${state.exists ? `${state.value}/${state.replicas}` : '-'}`);
    }
    seen.set(m.name, states.join(' '));
  }
  if (new Set(seen.values()).size > 1) problems.push(`managers disagree at the end:\n${[...seen].map(([m, s]) => `  ${m}: ${s}`).join('\n')}`);
  return final;
}

function statsLine(history: readonly ChaosOp[], check: CheckResult<ServiceInput, ServiceOutput>, samples: number, faults: readonly FaultRecord[]): string {
  const count = (pred: (op: ChaosOp) => boolean) => history.filter(pred).length;
  const kinds = ['create', 'update', 'scale', 'rm', 'read'] as const;
  const perKind = kinds.map((k) => `${k} ${count((op) => op.input.kind === k && op.outcome === 'ok')}/${count((op) => op.input.kind === k && op.outcome === 'fail')}/${count((op) => op.input.kind === k && op.outcome === 'unknown')}`);
  const skipped = faults.filter((f) => f.skipped).length;
  const took = history.filter((op) => op.input.kind !== 'read' && op.outcome === 'ok').map((op) => op.ret! - op.call).sort((a, b) => a - b);
  const at = (q: number) => (took.length === 0 ? 0 : took[Math.min(took.length - 1, Math.floor(q * took.length))]!);
  const latency = `answered writes p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${(took.at(-1) ?? 0).toFixed(0)} ms`;
  return `chaos: ops ok/refused/unknown: ${perKind.join(', ')}; ${latency}; checker ${check.operations} ops in ${check.partitions} services, ${check.steps} steps; observer samples ${samples}; faults skipped ${skipped}`;
}

