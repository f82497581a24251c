// Running the few system tools the harness drives (ip, iptables, nsenter,
// docker, umount), synchronously for teardown (it must also work inside a
// process 'exit' handler) and asynchronously for everything a test awaits.
import { execFile, spawnSync } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
    what: string,
  ) {
    const status = result.signal ? `killed by ${result.signal}` : `exit code ${String(result.code)}`;
    const stderr = result.stderr.trim();
    super(`${what}: \`${argv.join(' ')}\` failed with ${status}${stderr ? `: ${stderr}` : ''}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  /** Describes the action for the error message, e.g. "creating the bridge". */
  what: string;
  /** Return the result instead of throwing when the command fails. */
  allowFailure?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Told the child's pid as soon as it exists (to kill it with its host). */
  onPid?: (pid: number) => void;
  /** Told when the child has exited. */
  onExit?: (pid: number) => void;
}

export function runSync(argv: readonly string[], opts: RunOptions): CommandResult {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error(`${opts.what}: empty command`);
  const res = spawnSync(file, args, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    env: opts.env ?? process.env,
    input: opts.input,
  });
  const result: CommandResult = {
    code: res.status,
    signal: res.signal,
    stdout: res.stdout ?? '',
    stderr: res.error ? `${res.stderr ?? ''}${res.error.message}` : (res.stderr ?? ''),
  };
  if (!opts.allowFailure && (res.error || result.code !== 0)) throw new CommandError(argv, result, opts.what);
  return result;
}

export function run(argv: readonly string[], opts: RunOptions): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error(`${opts.what}: empty command`));
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
        const result: CommandResult = {
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr: e && typeof e.code === 'string' ? `${stderr}${e.message}` : stderr,
        };
        if (e && !opts.allowFailure) reject(new CommandError(argv, result, opts.what));
        else resolve(result);
      },
    );
    const pid = child.pid;
    if (pid !== undefined) {
      opts.onPid?.(pid);
      child.once('exit', () => opts.onExit?.(pid));
    }
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** argv that runs `cmd` in the network namespace `netns` (and only that: mounts and cgroups stay visible, which dockerd needs). */
export function inNetns(netns: string, cmd: readonly string[]): string[] {
  return ['nsenter', `--net=/var/run/netns/${netns}`, '--', ...cmd];
}
