// Removing everything a run made. Synchronous on purpose: the same code runs
// from destroy(), from a process 'exit' handler (where nothing async can run)
// and from sweepLeftovers(). Every step is tried; problems are collected.
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runSync } from './commands.js';
import { unmountAllSync } from './mounts.js';
import { forwardRules } from './network.js';
import { runIdOf, type RunNames } from './names.js';
import { killAndWaitSync, processTable, withDescendants } from './processes.js';
import { removeFile } from './owner.js';

export function listNetns(): string[] {
  const res = runSync(['ip', 'netns', 'list'], { what: 'listing network namespaces', allowFailure: true });
  return res.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

export function listLinks(): string[] {
  const res = runSync(['ip', '-o', 'link', 'show'], { what: 'listing network links', allowFailure: true });
  const names: string[] = [];
  for (const line of res.stdout.split('\n')) {
    // "12: fltab12cdh1@if2: <...>" — the name ends at '@' (veth peer) or ':'.
    const m = /^\d+:\s+([^:@\s]+)/.exec(line);
    if (m?.[1]) names.push(m[1]);
  }
  return names;
}

export function netnsPids(netns: string): number[] {
  const res = runSync(['ip', 'netns', 'pids', netns], { what: `listing processes in ${netns}`, allowFailure: true });
  return res.stdout
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((n) => Number.isInteger(n) && n > 1);
}

/** Empty cgroups of containers whose processes were killed rather than stopped by their engine. */
function removeContainerCgroups(tmpDir: string): string[] {
  const problems: string[] = [];
  if (!existsSync(tmpDir)) return problems;
  const ids: string[] = [];
  for (const host of readdirSync(tmpDir)) {
    const containers = join(tmpDir, host, 'docker', 'containers');
    if (existsSync(containers)) ids.push(...readdirSync(containers).filter((id) => /^[0-9a-f]{64}$/.test(id)));
  }
  if (ids.length === 0) return problems;
  const roots = existsSync('/sys/fs/cgroup/cgroup.controllers')
    ? ['/sys/fs/cgroup']
    : readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c));
  for (const root of roots) {
    for (const id of ids) {
      const dir = join(root, 'docker', id);
      if (!existsSync(dir)) continue;
      try {
        rmdirSync(dir);
      } catch (err) {
        problems.push(`could not remove cgroup ${dir}: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}

function ownedByRun(run: RunNames, kind: 'netns' | 'link', name: string): boolean {
  return runIdOf(kind, name, run.prefix) === run.runId;
}

/** Subnet claim files that name this run. */
function claimFilesOf(run: RunNames): string[] {
  const files: string[] = [];
  for (const name of readdirSync('/run')) {
    if (!new RegExp(`^${run.prefix}-subnet-\\d{1,3}$`).test(name)) continue;
    const file = join('/run', name);
    try {
      if (readFileSync(file, 'utf8').trim() === run.runId) files.push(file);
    } catch {
      // Gone meanwhile.
    }
  }
  return files;
}

/**
 * Kills the run's processes (`trackedPids`, everything inside its namespaces,
 * and their descendants), then removes mounts, namespaces, links, the
 * root-namespace iptables rule, directories, the subnet claim and last the
 * owner file. Returns what could not be done; an empty list means all is gone.
 */
export function teardownRunSync(run: RunNames, trackedPids: Iterable<number> = []): string[] {
  const problems: string[] = [];
  const step = (what: string, fn: () => string[] | void): void => {
    try {
      problems.push(...(fn() ?? []));
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };

  const namespaces = listNetns().filter((ns) => ownedByRun(run, 'netns', ns));
  step('killing the processes of the test hosts', () => {
    const roots = new Set<number>(trackedPids);
    for (const ns of namespaces) for (const pid of netnsPids(ns)) roots.add(pid);
    roots.delete(process.pid);
    const all = withDescendants(roots, processTable());
    all.delete(process.pid);
    const alive = killAndWaitSync(all);
    return alive.length > 0 ? [`processes still running after SIGKILL: ${alive.join(', ')}`] : [];
  });
  step('removing container cgroups', () => removeContainerCgroups(run.tmpDir));
  let mountsLeft = false;
  step('unmounting', () => {
    const left = unmountAllSync([run.tmpDir, run.runDir]);
    mountsLeft = left.length > 0;
    return left;
  });
  for (const ns of namespaces) {
    step(`deleting namespace ${ns}`, () => {
      runSync(['ip', 'netns', 'del', ns], { what: `deleting network namespace ${ns}` });
    });
  }
  // Deleting a namespace destroys its end of each veth only asynchronously; delete the root ends (and so the pairs) now.
  for (const link of listLinks().filter((l) => ownedByRun(run, 'link', l))) {
    step(`deleting link ${link}`, () => {
      const res = runSync(['ip', 'link', 'del', link], { what: `deleting link ${link}`, allowFailure: true });
      if (res.code !== 0 && listLinks().includes(link)) return [`could not delete link ${link}: ${res.stderr.trim()}`];
      return [];
    });
  }
  for (const rule of forwardRules(run)) {
    step('removing a FORWARD rule', () => {
      for (let i = 0; i < 10; i++) {
        const check = runSync(['iptables', '-w', '-C', ...rule], { what: 'checking a FORWARD rule', allowFailure: true });
        if (check.code !== 0) return [];
        runSync(['iptables', '-w', '-D', ...rule], { what: `removing a FORWARD rule of ${run.tag}` });
      }
      return [`FORWARD rule \`${rule.join(' ')}\` of ${run.tag} still present`];
    });
  }
  // Never recurse into a directory that still has something mounted below it.
  if (!mountsLeft) {
    step(`removing ${run.tmpDir}`, () => rmSync(run.tmpDir, { recursive: true, force: true }));
    step(`removing ${run.runDir}`, () => rmSync(run.runDir, { recursive: true, force: true }));
  }
  step('releasing the subnet', () => claimFilesOf(run).forEach(removeFile));
  if (problems.length === 0) step('removing the owner file', () => removeFile(run.ownerFile));
  return problems;
}
