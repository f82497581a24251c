// createTestHosts: N "machines" on this one, each a network namespace on a
// shared bridge, optionally with its own Docker Engine. For networking and
// failover tests: cut a host off, heal it, kill it, and always clean up.
import { spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNetns, run, runSync, type CommandResult } from './commands.js';
import { cutoffRules, iptablesArgs } from './cutoff.js';
import { dockerEnv, enginePaths, loadImages, removeAllContainers, removeStalePidFiles, saveImages, startEngine } from './docker-engine.js';
import { registerForExit, unregisterForExit } from './exit-hooks.js';
import { bridgeAddr, DEFAULT_PREFIX, hostNames, newRunId, runNames, subnetClaimFile, SUBNET_OCTETS, validateHostCount, validatePrefix, type HostNames, type RunNames } from './names.js';
import { bridgeSetup, hostSetup } from './network.js';
import { currentOwner, tryClaim, writeOwner } from './owner.js';
import { isRunning, killAndWaitSync, processTable, withDescendants } from './processes.js';
import { sweepLeftovers } from './sweep.js';
import { netnsPids, teardownRunSync } from './teardown.js';
import { waitFor } from '../wait.js';

export const DEFAULT_TEST_IMAGES: readonly string[] = ['flotilla/busybox:latest'];

export interface CreateTestHostsOptions {
  count: number;
  /** Start a Docker Engine in each host and load `images` into it. */
  withDocker?: boolean;
  /** Images copied from the machine's engine into each host's engine; default flotilla/busybox:latest. */
  images?: readonly string[];
  /** Name prefix, exactly 3 lowercase letters; default `flt`. */
  prefix?: string;
  /** Remove leftovers of dead earlier runs first (default true). */
  sweep?: boolean;
  /** Start a detached watchdog that tears the run down if this process dies without destroy(), even by SIGKILL (default true). */
  watchdog?: boolean;
  engineStartTimeoutMs?: number;
}

export interface HostExecOptions {
  /** Resolve with the result instead of rejecting when the command fails. */
  allowFailure?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

export interface TestHost {
  /** `h1`, `h2`, … */
  name: string;
  index: number;
  netns: string;
  /** The host's address on the bridge, e.g. 198.18.0.11. */
  addr: string;
  /** `unix://…` of the host's own engine; undefined without `withDocker`. */
  dockerHost: string | undefined;
  /** Runs `cmd` in the host's namespace (DOCKER_HOST set to its engine) and waits for it. */
  exec(cmd: readonly string[], opts?: HostExecOptions): Promise<CommandResult>;
  /** Starts `cmd` in the host's namespace; the process is killed by kill(host) and destroy(). */
  spawn(cmd: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** Pids of the processes the harness started for this host that still run. */
  pids(): number[];
}

export interface TestHosts {
  runId: string;
  /** The detached process that tears the run down if this process dies without destroy() (even by SIGKILL); it leaves after destroy(). */
  watchdogPid: number | undefined;
  bridge: string;
  /** The bridge's address in the root namespace, the hosts' default gateway. */
  gateway: string;
  hosts: TestHost[];
  /** Drops every packet crossing the host's link, inside its namespace. */
  cutOff(host: TestHost): Promise<void>;
  /** Undoes cutOff. */
  heal(host: TestHost): Promise<void>;
  /** SIGKILLs the host's processes: its engine (with containerd, shims, containers) and what was spawned in it. */
  kill(host: TestHost): Promise<void>;
  /** Starts the host's engine again after kill(); its images and containers' records survive, like a rebooted machine. */
  restartEngine(host: TestHost): Promise<void>;
  /** Removes everything the run made. Safe to call twice. */
  destroy(): Promise<void>;
}

class HostState {
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

function claimSubnet(run: RunNames): number {
  const used = runSync(['ip', '-o', '-4', 'addr', 'show'], { what: 'listing addresses in the root namespace' }).stdout;
  for (const k of SUBNET_OCTETS) {
    // Someone else's address in 198.18.k.0/24 would make routes to our hosts ambiguous.
    if (new RegExp(`\\binet 198\\.18\\.${k}\\.\\d+/`).test(used)) continue;
    if (tryClaim(subnetClaimFile(run.prefix, k), run.runId).claimed) return k;
  }
  throw new Error('no free subnet 198.18.k.0/24 for test hosts: run sweepLeftovers() or remove /run/<prefix>-subnet-* claims of dead runs');
}

function newRun(prefix: string): RunNames {
  for (let attempt = 0; attempt < 10; attempt++) {
    const names = runNames(prefix, newRunId());
    // The owner file is made exclusively and first: it is what marks the run as live to sweepers.
    if (tryClaim(names.ownerFile, '').claimed) {
      writeOwner(names.ownerFile, currentOwner());
      return names;
    }
  }
  throw new Error(`could not pick an unused test-host run id under /run/${prefix}-*`);
}

export async function createTestHosts(opts: CreateTestHostsOptions): Promise<TestHosts> {
  validateHostCount(opts.count);
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  validatePrefix(prefix);
  const withDocker = opts.withDocker ?? false;
  const images = opts.images ?? DEFAULT_TEST_IMAGES;
  if (withDocker && images.length === 0) throw new Error('createTestHosts: withDocker needs at least one image to load');

  if (opts.sweep ?? true) sweepLeftovers(prefix);
  const run = newRun(prefix);
  const watchdogPid = (opts.watchdog ?? true) ? startWatchdog(run) : undefined;
  const states: HostState[] = [];
  const allTracked = (): number[] => states.flatMap((s) => [...s.tracked]);
  registerForExit(run.tag, () => {
    const problems = teardownRunSync(run, allTracked());
    if (problems.length > 0) throw new Error(problems.join('; '));
  });

  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    // Let each engine remove its containers and stop, so cgroups and mounts go the orderly way; teardown kills what is left.
    await Promise.all(states.filter((s) => s.enginePid !== undefined && isRunning(s.enginePid)).map((s) => stopEngineGently(s)));
    const problems = teardownRunSync(run, allTracked());
    unregisterForExit(run.tag);
    if (problems.length > 0) throw new Error(`destroying test hosts ${run.tag} left things behind:\n${problems.join('\n')}`);
  };

  try {
    const subnet = claimSubnet(run);
    writeOwner(run.ownerFile, { ...currentOwner(), subnet });
    mkdirSync(run.tmpDir, { mode: 0o700 });
    mkdirSync(run.runDir, { mode: 0o700 });
    for (const argv of bridgeSetup(run, subnet)) runSync(argv, { what: `creating the bridge of test hosts ${run.tag}` });
    for (let i = 1; i <= opts.count; i++) {
      const names = hostNames(run, subnet, i);
      mkdirSync(names.dir);
      states.push(new HostState(names, withDocker));
      for (const argv of hostSetup(run, subnet, names)) runSync(argv, { what: `creating test host ${names.name} (${names.netns})` });
    }
    if (withDocker) {
      const tarball = join(run.tmpDir, 'images.tar');
      await saveImages(images, tarball);
      await Promise.all(
        states.map(async (s) => {
          await startHostEngine(s, opts.engineStartTimeoutMs);
          await loadImages(s.names, tarball);
        }),
      );
    }
    const hosts = states.map((s) => makeHost(s));
    const stateOf = (host: TestHost): HostState => {
      const s = states[host.index - 1];
      if (!s || hosts[host.index - 1] !== host) throw new Error(`test host ${host.name} does not belong to run ${run.tag}`);
      return s;
    };
    return {
      runId: run.runId,
      watchdogPid,
      bridge: run.bridge,
      gateway: bridgeAddr(subnet),
      hosts,
      cutOff: async (host) => {
        const s = stateOf(host);
        for (const rule of cutoffRules()) {
          const present = await runInNetns(s, iptablesArgs('-C', rule), 'checking the cut-off rule', true);
          if (present.code !== 0) await runInNetns(s, iptablesArgs('-I', rule), `cutting off test host ${host.name}`);
        }
      },
      heal: async (host) => {
        const s = stateOf(host);
        for (const rule of cutoffRules()) {
          while ((await runInNetns(s, iptablesArgs('-C', rule), 'checking the cut-off rule', true)).code === 0) {
            await runInNetns(s, iptablesArgs('-D', rule), `healing test host ${host.name}`);
          }
        }
      },
      kill: async (host) => {
        const s = stateOf(host);
        const roots = new Set([...s.tracked, ...netnsPids(s.names.netns)]);
        const victims = withDescendants(roots, processTable());
        const alive = killAndWaitSync(victims);
        s.enginePid = undefined;
        if (alive.length > 0) throw new Error(`killing test host ${host.name}: still running after SIGKILL: ${alive.join(', ')}`);
        // Wait until they are reaped too: a restarted engine takes a zombie in its old pid file for a live containerd.
        await waitFor(() => [...victims].every((pid) => !existsSync(`/proc/${pid}`)), {
          what: `the killed processes of test host ${host.name} to be reaped`,
          timeoutMs: 10_000,
        }).catch(() => undefined);
      },
      restartEngine: async (host) => {
        const s = stateOf(host);
        if (!withDocker) throw new Error(`test host ${host.name} has no engine (created without withDocker)`);
        if (s.enginePid !== undefined && isRunning(s.enginePid)) throw new Error(`the engine of test host ${host.name} is still running (pid ${s.enginePid}); kill(host) first`);
        removeStalePidFiles(s.names);
        await startHostEngine(s, opts.engineStartTimeoutMs);
      },
      destroy,
    };
  } catch (err) {
    await destroy().catch((cleanupErr: unknown) => {
      (err as Error & { cleanupError?: unknown }).cleanupError = cleanupErr;
    });
    throw err;
  }
}

/**
 * Starts the run's watchdog (watchdog-main) detached, so it survives this
 * process. From sources (the harness's own tests) it needs the tsx loader,
 * which is found from the package directory.
 */
function startWatchdog(run: RunNames): number | undefined {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const main = join(dirname(here), `watchdog-main.${fromSource ? 'ts' : 'js'}`);
  const owner = currentOwner();
  const args = [...(fromSource ? ['--import', 'tsx'] : []), main, run.prefix, run.runId, dirname(run.tmpDir), String(owner.pid), String(owner.startTicks)];
  const child = spawnChild(process.execPath, args, { detached: true, stdio: 'ignore', cwd: dirname(here) });
  child.on('error', () => undefined); // Without a watchdog the exit handlers and sweepLeftovers still clean up.
  child.unref();
  return child.pid;
}

function runInNetns(s: HostState, argv: string[], what: string, allowFailure = false): Promise<CommandResult> {
  return run(inNetns(s.names.netns, argv), { what, allowFailure });
}

async function startHostEngine(s: HostState, timeoutMs: number | undefined): Promise<void> {
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

async function stopEngineGently(s: HostState): Promise<void> {
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

function makeHost(s: HostState): TestHost {
  const { names } = s;
  return {
    name: names.name,
    index: names.index,
    netns: names.netns,
    addr: names.addr,
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
