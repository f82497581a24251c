// Starting the detached watchdog of a run (see watchdog-main.ts).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunNames } from './names.js';
import { currentOwner } from './owner.js';

/**
 * Starts the run's watchdog (watchdog-main) detached, so it survives this
 * process. From sources (the harness's own tests) it needs the tsx loader,
 * which is found from the package directory.
 */
export function startWatchdog(run: RunNames): number | undefined {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const main = join(dirname(here), `watchdog-main.${fromSource ? 'ts' : 'js'}`);
  const owner = currentOwner();
  const args = [...(fromSource ? ['--import', 'tsx'] : []), main, run.prefix, run.runId, dirname(run.tmpDir), String(owner.pid), String(owner.startTicks)];
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', cwd: dirname(here) });
  child.on('error', () => undefined); // Without a watchdog the exit handlers and sweepLeftovers still clean up.
  child.unref();
  return child.pid;
}
