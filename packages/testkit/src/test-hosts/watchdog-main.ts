// Entry point of the detached watchdog process of one run (never imported).
//
// Exit handlers cannot help when the owner is SIGKILLed (vitest kills a worker
// 500 ms after SIGTERM, and on timeouts), so each run has a watchdog that
// outlives it: once the owner process is gone and the run's owner file is
// still there, it tears the run down. It leaves when the owner file goes (the
// run was destroyed). Usage: watchdog-main <prefix> <runId> <tmpRoot> <ownerPid> <ownerStartTicks>
import { existsSync } from 'node:fs';
import { runNames } from './names.js';
import { ownerAlive } from './owner.js';
import { teardownRunSync } from './teardown.js';

const POLL_MS = 200;
const [prefix, runId, tmpRoot, pid, startTicks] = process.argv.slice(2);
const run = runNames(prefix ?? '', runId ?? '', tmpRoot);
const owner = { pid: Number(pid), startTicks: Number(startTicks) };

const timer = setInterval(() => {
  if (!existsSync(run.ownerFile)) {
    clearInterval(timer);
    return;
  }
  if (ownerAlive(owner)) return;
  clearInterval(timer);
  // Problems leave the owner file in place for sweepLeftovers to finish the job.
  teardownRunSync(run);
}, POLL_MS);
