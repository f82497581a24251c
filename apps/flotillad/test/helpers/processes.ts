import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../../src/node-flags.js';
import { socketAnswers, waitFor } from './wait.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const DAEMON_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL('../../../../packages/cli/dist/main.js', import.meta.url));

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited, with everything it printed. */
  readonly exited: Promise<Finished>;
}

const started = new Set<ChildProcess>();

function requireBuilt(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: build ${pkg} first`);
}

/** Spawns any command, remembering it so `killStarted` can clean up after a failed test. */
export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
}

export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): DaemonProcess {
  const child = spawn(command, [...args], { ...options, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      started.delete(child);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, exited };
}

export function spawnDaemon(args: readonly string[], options: SpawnOptions = {}): DaemonProcess {
  requireBuilt(DAEMON_MAIN, '@flotilla/flotillad');
  return spawnTracked(process.execPath, [...DAEMON_NODE_FLAGS, DAEMON_MAIN, ...args], options);
}

/**
 * Waits until the daemon answers on its socket; fails early with its stderr if it exits. A
 * manager restarted without a quorum serves only after its Raft waits (about 25 s): pass more.
 */
export async function waitUntilServing(daemon: DaemonProcess, socketPath: string, deadlineMs = 15_000): Promise<void> {
  let exited: Finished | undefined;
  void daemon.exited.then((f) => (exited = f));
  await waitFor(`flotillad pid ${daemon.pid} to answer on ${socketPath}`, async () => {
    if (exited) throw new Error(`flotillad exited (code ${exited.code}) before serving: ${exited.stderr}`);
    return (await socketAnswers(socketPath)) ? true : undefined;
  }, deadlineMs);
}

export async function runToEnd(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<Finished> {
  return spawnTracked(command, args, options).exited;
}

export function runCli(args: readonly string[], options: SpawnOptions = {}): Promise<Finished> {
  requireBuilt(CLI_MAIN, '@flotilla/cli');
  return runToEnd(process.execPath, [CLI_MAIN, ...args], options);
}

/**
 * Copies the built CLI (its self-contained bundle: main.js and its chunks, the version stamped in;
 * its package.json comes along as it would in an install) into `dir`, readable by every user, and returns the copy's main.js.
 * For running the CLI as another user: the checkout may sit under a directory only its owner can
 * enter (root's home, any mktemp -d).
 */
export async function copyCliForAnyUser(dir: string): Promise<string> {
  requireBuilt(CLI_MAIN, '@flotilla/cli');
  const cliDir = join(CLI_MAIN, '..', '..');
  const into = join(dir, 'cli');
  await mkdir(join(into, 'dist'), { recursive: true });
  await cp(join(cliDir, 'package.json'), join(into, 'package.json'));
  await cp(CLI_MAIN, join(into, 'dist', 'main.js'));
  await cp(join(cliDir, 'dist', 'chunks'), join(into, 'dist', 'chunks'), { recursive: true });
  // Whatever the umask of the checkout, the copy must be readable by nobody.
  for (const d of [dir, into, join(into, 'dist'), join(into, 'dist', 'chunks')]) await chmod(d, 0o755);
  const files = [join(into, 'package.json'), join(into, 'dist', 'main.js')];
  for (const chunk of await readdir(join(into, 'dist', 'chunks'))) files.push(join(into, 'dist', 'chunks', chunk));
  for (const f of files) await chmod(f, 0o644);
  return join(into, 'dist', 'main.js');
}

/** SIGKILLs whatever this test file started and is still running (by pid, nothing else). */
export async function killStarted(): Promise<void> {
  const running = [...started];
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(running.map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('close', resolve)))));
}
