import { CliError } from '../errors.js';

/**
 * Runs `act` on each target in turn. Like docker, one refusal does not stop the others: the
 * refusals are reported together at the end (one `flotilla: …` line each, exit 1). Anything
 * that is not a user-facing refusal (a bug, a lost daemon) stops at once.
 */
export async function eachTarget<T>(targets: readonly T[], act: (target: T) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (const target of targets) {
    try {
      await act(target);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      failures.push(err.message);
    }
  }
  if (failures.length) throw new CliError(failures.join('\nflotilla: '));
}
