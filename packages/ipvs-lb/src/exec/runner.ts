import { execFile } from 'node:child_process';

/**
 * Runs a command (argv[0] is the program) with optional stdin and resolves its stdout;
 * rejects with an error naming the command and its stderr. Back ends take one so the same
 * code programs this host or, in tests, a network namespace.
 */
export type CommandRunner = (argv: readonly string[], input?: string) => Promise<string>;

export const localRunner: CommandRunner = (argv, input) =>
  new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    if (!file) {
      reject(new Error('empty command'));
      return;
    }
    const child = execFile(file, args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`running \`${argv.join(' ')}\` failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
