// A Docker Engine inside a test host's network namespace.
//
// nsenter only switches the network namespace: `ip netns exec` would also
// remount /sys, hiding the cgroup mounts, and dockerd refuses to start. The
// engine keeps its iptables rules on; they land in the host's namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { inNetns, run } from './commands.js';
import type { HostNames } from './names.js';
import { isRunning } from './processes.js';
import { waitFor } from '../wait.js';

export interface EnginePaths {
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  socket: string;
  logFile: string;
  configFile: string;
}

export function enginePaths(host: HostNames): EnginePaths {
  return {
    dataRoot: join(host.dir, 'docker'),
    execRoot: host.execRoot,
    pidFile: join(host.dir, 'docker.pid'),
    socket: join(host.dir, 'docker.sock'),
    logFile: join(host.dir, 'dockerd.log'),
    // An empty config file of our own, so /etc/docker/daemon.json (hosts, data-root, ...) cannot leak in.
    configFile: join(host.dir, 'daemon.json'),
  };
}

export function dockerdArgs(host: HostNames, paths: EnginePaths): string[] {
  return [
    'dockerd',
    '--config-file', paths.configFile,
    '--data-root', paths.dataRoot,
    '--exec-root', paths.execRoot,
    '--pidfile', paths.pidFile,
    '-H', `unix://${paths.socket}`,
    '--bip', host.dockerBip,
  ];
}

/** GET /_ping on the engine's socket; true once it answers OK. */
export function pingEngine(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * After a kill, pid files name processes that no longer run (or are zombies
 * not yet reaped, which kill(pid, 0) still finds): dockerd would then wait for
 * "still running" containerd and time out.
 */
export function removeStalePidFiles(host: HostNames): void {
  for (const file of [enginePaths(host).pidFile, join(host.execRoot, 'containerd', 'containerd.pid')]) {
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || !isRunning(pid)) rmSync(file, { force: true });
  }
}

export interface StartedEngine {
  process: ChildProcess;
  pid: number;
}

/**
 * Starts dockerd in the host's namespace and resolves once it answers.
 * `onPid` is told the pid before waiting, so a failed start is still cleaned up.
 */
export async function startEngine(host: HostNames, onPid: (pid: number) => void, timeoutMs = 30_000): Promise<StartedEngine> {
  const paths = enginePaths(host);
  mkdirSync(paths.dataRoot, { recursive: true });
  mkdirSync(paths.execRoot, { recursive: true });
  writeFileSync(paths.configFile, '{}\n');
  const log = openSync(paths.logFile, 'a');
  let child: ChildProcess;
  try {
    const [file, ...args] = inNetns(host.netns, dockerdArgs(host, paths));
    child = spawn(file as string, args, { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  let exited: string | undefined;
  child.once('error', (err) => {
    exited ??= `error: ${err.message}`;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`starting dockerd for test host ${host.name} (${host.netns}): spawn failed; is nsenter installed?`);
  onPid(pid);
  child.once('exit', (code, signal) => {
    exited ??= signal ? `killed by ${signal}` : `exit code ${String(code)}`;
  });
  const outcome = await waitFor(async () => (exited !== undefined ? { exited } : (await pingEngine(paths.socket)) && { exited: undefined }), {
    what: `dockerd of test host ${host.name} (${host.netns}) to answer on ${paths.socket} (log: ${paths.logFile})`,
    timeoutMs,
    intervalMs: 50,
  });
  if (outcome.exited !== undefined) {
    throw new Error(`starting dockerd for test host ${host.name} (${host.netns}): it exited with ${outcome.exited}; log tail:\n${logTail(paths.logFile)}`);
  }
  return { process: child, pid };
}

export function dockerEnv(socket: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  return env;
}

/** Saves `images` from the machine's own engine into one tarball, once per run. */
export async function saveImages(images: readonly string[], tarball: string): Promise<void> {
  await run(['docker', 'save', '-o', tarball, ...images], { what: `saving ${images.join(', ')} from the machine's Docker Engine for the test hosts`, timeoutMs: 120_000 });
}

export async function loadImages(host: HostNames, tarball: string): Promise<void> {
  await run(['docker', 'load', '-q', '-i', tarball], {
    what: `loading the test images into the engine of test host ${host.name}`,
    env: dockerEnv(enginePaths(host).socket),
    timeoutMs: 120_000,
  });
}

/** Removes every container of the host's engine (force: running ones too), so their cgroups and mounts go with them. */
export async function removeAllContainers(host: HostNames): Promise<void> {
  const env = dockerEnv(enginePaths(host).socket);
  const what = `removing the containers of test host ${host.name}`;
  const ids = (await run(['docker', 'ps', '-aq'], { what, env, timeoutMs: 15_000 })).stdout.split('\n').filter((l) => l.trim() !== '');
  if (ids.length > 0) await run(['docker', 'rm', '-f', ...ids], { what, env, timeoutMs: 60_000 });
}
