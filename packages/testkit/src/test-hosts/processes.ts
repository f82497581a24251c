// Finding and killing the processes of a test host by pid: those the harness
// started, every process living in the host's namespace (containerd and its
// shims re-parent themselves to init, so a parent walk alone misses them),
// and all their descendants (container processes sit under the shims).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  state: string;
  /** Start time in clock ticks since boot; with the pid it names a process uniquely. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): ProcEntry | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  const startTicks = Number(fields[19]);
  if (!Number.isInteger(pid) || state === undefined || !Number.isInteger(ppid) || !Number.isFinite(startTicks)) return undefined;
  return { pid, ppid, state, startTicks };
}

export function readProc(pid: number): ProcEntry | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function processTable(): ProcEntry[] {
  const table: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProc(Number(name));
    if (entry) table.push(entry);
  }
  return table;
}

/** `roots` and every descendant of them in `table`. */
export function withDescendants(roots: Iterable<number>, table: readonly ProcEntry[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const out = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (out.has(pid) || pid <= 1) continue;
    out.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Running (not exited, not a zombie awaiting its parent). */
export function isRunning(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

export function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Blocks the thread; teardown must also run inside an 'exit' handler where nothing async can. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILLs `pids` and waits (blocking, with a deadline) until none runs; returns those still running. */
export function killAndWaitSync(pids: ReadonlySet<number>, timeoutMs = 5000): number[] {
  signalAll(pids, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = [...pids].filter(isRunning);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    sleepSync(10);
  }
}
