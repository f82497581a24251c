// Runs still alive when the process ends (a crashed or interrupted test run)
// are torn down from process 'exit' and signal handlers.

type Teardown = () => void;

const live = new Map<string, Teardown>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function runAll(): void {
  for (const [key, teardown] of [...live]) {
    live.delete(key);
    try {
      teardown();
    } catch (err) {
      process.stderr.write(`test-hosts: cleaning up ${key} at exit failed: ${(err as Error).message}\n`);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  process.removeListener(signal, onSignal);
  // Our listener replaced the default action (terminate); restore it unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed || live.size > 0) return;
  installed = false;
  process.removeListener('exit', runAll);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

export function registerForExit(key: string, teardown: Teardown): void {
  live.set(key, teardown);
  install();
}

export function unregisterForExit(key: string): void {
  live.delete(key);
  uninstall();
}
