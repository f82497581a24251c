// The public shapes of the test-host harness.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { CommandResult } from './commands.js';

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
  /** The host's own directory under the run's temp dir; teardown unmounts whatever is mounted below it and removes it. */
  dir: string;
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
