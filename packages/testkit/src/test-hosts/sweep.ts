// Removing what earlier, crashed runs of this harness left behind. Only names
// this harness makes (prefix + run id format) are considered, and only runs
// whose owner process is gone; a run going on in another process is left alone.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runSync } from './commands.js';
import { DEFAULT_PREFIX, runIdOf, runNames, validatePrefix } from './names.js';
import { ownerAlive, readOwner } from './owner.js';
import { listLinks, listNetns, teardownRunSync } from './teardown.js';

export interface SweepResult {
  /** Run ids whose leftovers were removed. */
  swept: string[];
  /** What could not be removed, by run id. */
  problems: Record<string, string[]>;
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every run id with something on this machine: namespaces, links, dirs, owner files, FORWARD rules. */
export function findRunIds(prefix: string, tmpRoot = tmpdir()): Set<string> {
  const ids = new Set<string>();
  const add = (id: string | undefined): void => {
    if (id) ids.add(id);
  };
  for (const ns of listNetns()) add(runIdOf('netns', ns, prefix));
  for (const link of listLinks()) add(runIdOf('link', link, prefix));
  for (const name of readdirOrEmpty('/run')) {
    add(runIdOf('runDir', name, prefix));
    add(runIdOf('owner', name, prefix));
  }
  for (const name of readdirOrEmpty(tmpRoot)) add(runIdOf('tmpDir', name, prefix));
  for (const name of readdirOrEmpty('/run')) {
    if (!new RegExp(`^${prefix}-subnet-\\d{1,3}$`).test(name)) continue;
    try {
      add(runIdOf('runDir', `${prefix}-${readFileSync(`/run/${name}`, 'utf8').trim()}`, prefix));
    } catch {
      // Released meanwhile.
    }
  }
  const rules = runSync(['iptables', '-w', '-S', 'FORWARD'], { what: 'listing FORWARD rules', allowFailure: true }).stdout;
  for (const m of rules.matchAll(/--comment "?([a-z]+-[a-z0-9]+)"?/g)) add(runIdOf('runDir', m[1] ?? '', prefix));
  return ids;
}

/** Accepts the namespace form `flt-` as well as `flt`. */
function normalizePrefix(prefix: string): string {
  const bare = prefix.endsWith('-') ? prefix.slice(0, -1) : prefix;
  validatePrefix(bare);
  return bare;
}

export interface RunInfo {
  runId: string;
  /** The process that made it still runs. */
  live: boolean;
  ownerPid: number | undefined;
}

/** The runs of `prefix` that have anything on this machine, live or left over. */
export function listRuns(prefixArg = DEFAULT_PREFIX, tmpRoot = tmpdir()): RunInfo[] {
  const prefix = normalizePrefix(prefixArg);
  return [...findRunIds(prefix, tmpRoot)].sort().map((runId) => {
    const owner = readOwner(runNames(prefix, runId, tmpRoot).ownerFile);
    return { runId, live: ownerAlive(owner), ownerPid: owner?.pid };
  });
}

export function sweepLeftovers(prefixArg = DEFAULT_PREFIX, tmpRoot = tmpdir()): SweepResult {
  const prefix = normalizePrefix(prefixArg);
  const result: SweepResult = { swept: [], problems: {} };
  for (const runId of findRunIds(prefix, tmpRoot)) {
    const run = runNames(prefix, runId, tmpRoot);
    if (ownerAlive(readOwner(run.ownerFile))) continue;
    const problems = teardownRunSync(run);
    result.swept.push(runId);
    if (problems.length > 0) result.problems[runId] = problems;
  }
  return result;
}
