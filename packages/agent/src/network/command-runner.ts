// The one place the overlay code starts processes. Tests hand in a runner
// that executes inside a test host's network namespace instead.
import { execFile } from 'node:child_process';

export interface CommandOutput {
  stdout: string;
}

/** Runs argv (no shell), with `input` on its stdin when given, and resolves its stdout; rejects when it exits non-zero. */
export type CommandRunner = (argv: readonly string[], input?: string) => Promise<CommandOutput>;

export class NetCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly why: string,
    cause: unknown,
  ) {
    super(`${why}: \`${argv.join(' ')}\` failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'NetCommandError';
  }
}

/** Runs commands in the agent's own network namespace (where its engine runs). */
export const localRunner: CommandRunner = (argv, input) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined) {
      reject(new Error('empty command'));
      return;
    }
    const child = execFile(file, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}${stderr ? `: ${stderr.trim()}` : ''}`));
      else resolve({ stdout });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
