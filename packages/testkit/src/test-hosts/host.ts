// One test host: its state (tracked pids, engine) and what can be done to it.
import { spawn as spawnChild } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inNetns, run, type CommandResult } from './commands.js';
import { cutoffRules, iptablesArgs } from './cutoff.js';
import { dockerEnv, enginePaths, removeAllContainers, removeStalePidFiles, startEngine } from './docker-engine.js';
import type { HostNames } from './names.js';
import { isRunning, killAndWaitSync, processTable, withDescendants } from './processes.js';
import { netnsPids } from './teardown.js';
import type { TestHost } from './types.js';
import { waitFor } from '../wait.js';

export class HostState {
  readonly tracked = new Set<number>();
  enginePid: number | undefined;
  constructor(
    readonly names: HostNames,
    readonly withDocker: boolean,
  ) {}
  get socket(): string {
    return enginePaths(this.names).socket;
  }
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return { ...(this.withDocker ? dockerEnv(this.socket) : process.env), ...extra };
  }
}

function runInNetns(s: HostState, argv: string[], what: string, allowFailure = false): Promise<CommandResult> {
  return run(inNetns(s.names.netns, argv), { what, allowFailure });
}

export async function startHostEngine(s: HostState, timeoutMs: number | undefined): Promise<void> {
  const engine = await startEngine(
    s.names,
    (pid) => {
      s.tracked.add(pid);
      s.enginePid = pid;
    },
    timeoutMs,
  );
  engine.process.once('exit', () => s.tracked.delete(engine.pid));
}

export async function stopEngineGently(s: HostState): Promise<void> {
  const pid = s.enginePid;
  if (pid === undefined) return;
  try {
    await removeAllContainers(s.names);
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !isRunning(pid), { what: `dockerd of test host ${s.names.name} to stop`, timeoutMs: 20_000, intervalMs: 50 });
  } catch {
    // Teardown SIGKILLs whatever did not stop.
  }
}

export function makeHost(s: HostState): TestHost {
  const { names } = s;
  return {
    name: names.name,
    index: names.index,
    netns: names.netns,
    addr: names.addr,
    dir: names.dir,
    dockerHost: s.withDocker ? `unix://${s.socket}` : undefined,
    exec: (cmd, opts = {}) =>
      run(inNetns(names.netns, cmd), {
        what: `running \`${cmd.join(' ')}\` on test host ${names.name}`,
        env: s.env(opts.env),
        ...(opts.allowFailure !== undefined ? { allowFailure: opts.allowFailure } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        onPid: (pid) => s.tracked.add(pid),
        onExit: (pid) => s.tracked.delete(pid),
      }),
    spawn: (cmd, opts = {}) => {
      const [file, ...args] = inNetns(names.netns, cmd);
      const child = spawnChild(file as string, args, { ...opts, env: s.env(opts.env) });
      const pid = child.pid;
      if (pid !== undefined) {
        s.tracked.add(pid);
        child.once('exit', () => s.tracked.delete(pid));
      }
      return child;
    },
    pids: () => [...s.tracked].filter(isRunning),
  };
}

/** Inserts the cut-off rules that are not there yet (so twice is once). */
export async function cutOffHost(s: HostState): Promise<void> {
  for (const rule of cutoffRules()) {
    const present = await runInNetns(s, iptablesArgs('-C', rule), 'checking the cut-off rule', true);
    if (present.code !== 0) await runInNetns(s, iptablesArgs('-I', rule), `cutting off test host ${s.names.name}`);
  }
}

export async function healHost(s: HostState): Promise<void> {
  for (const rule of cutoffRules()) {
    while ((await runInNetns(s, iptablesArgs('-C', rule), 'checking the cut-off rule', true)).code === 0) {
      await runInNetns(s, iptablesArgs('-D', rule), `healing test host ${s.names.name}`);
    }
  }
}

/** SIGKILLs what the harness started for the host, everything in its namespace, and all their descendants. */
export async function killHost(s: HostState): Promise<void> {
  const roots = new Set([...s.tracked, ...netnsPids(s.names.netns)]);
  const victims = withDescendants(roots, processTable());
  const alive = killAndWaitSync(victims);
  s.enginePid = undefined;
  if (alive.length > 0) throw new Error(`killing test host ${s.names.name}: still running after SIGKILL: ${alive.join(', ')}`);
  // Wait until they are reaped too: a restarted engine takes a zombie in its old pid file for a live containerd.
  // Init reaps orphans on its own schedule; restartHostEngine also drops stale pid files, so a slow reap is no error.
  await waitFor(() => [...victims].every((pid) => !existsSync(`/proc/${pid}`)), {
    what: `the killed processes of test host ${s.names.name} to be reaped`,
    timeoutMs: 10_000,
  }).catch(() => undefined);
}

export async function restartHostEngine(s: HostState, timeoutMs: number | undefined): Promise<void> {
  if (!s.withDocker) throw new Error(`test host ${s.names.name} has no engine (created without withDocker)`);
  if (s.enginePid !== undefined && isRunning(s.enginePid)) {
    throw new Error(`the engine of test host ${s.names.name} is still running (pid ${s.enginePid}); kill(host) first`);
  }
  removeStalePidFiles(s.names);
  await startHostEngine(s, timeoutMs);
}
