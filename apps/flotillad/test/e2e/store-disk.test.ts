// A manager's Raft data on a real small tmpfs (mounted by the test; the tests run as root), with a
// real flotillad: a full disk refuses writes with a clear error and the daemon carries on by itself
// once space returns; an unrecoverable write error (the filesystem turned read-only) makes the
// daemon log one line and exit non-zero, and restarted it recovers every acknowledged write from
// its WAL. Nothing is mocked.
import { execFile } from 'node:child_process';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackCluster, type LoopbackCluster, type LoopbackHost } from '../helpers/loopback-cluster.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const ADDR = '127.0.3.1';
const LONG = 90_000;

let cluster: LoopbackCluster;
let host: LoopbackHost;
let mnt = '';
let mounted = false;

beforeAll(async () => {
  cluster = await startLoopbackCluster({ addrs: [ADDR], names: ['e2e-disk'], tmpPrefix: 'flotillad-store-disk-' });
  host = cluster.hosts[0]!;
  // The Raft directory (WAL, snapshots) gets its own 4 MiB filesystem before `swarm init` creates it.
  mnt = join(host.dataDir, 'swarm', 'raft');
  await mkdir(mnt, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
  mounted = true;
}, LONG);

afterAll(async () => {
  await cluster?.stop();
  if (mounted) await run('umount', ['-l', mnt]).catch(() => undefined);
}, LONG);

/** Writes a file until the filesystem is full; returns its path. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const h = await open(path, 'w');
  const block = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) await h.write(block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await h.close();
  }
  return path;
}

/** The NAME column of `network ls`. */
const names = (table: string): string[] => table.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[1]!);
const networks = async (): Promise<string[]> => names(await cluster.ok(host, 'network', 'ls'));

describe('a manager whose Raft disk fills up or fails', () => {
  it('refuses writes with a clear error while the disk is full and resumes by itself', async () => {
    await cluster.ok(host, 'swarm', 'init', '--advertise-addr', ADDR, '--listen-addr', `${ADDR}:${cluster.joinPort}`);
    host.nodeId = (/NodeID: (\w+)/.exec(await cluster.ok(host, 'info')) ?? [])[1] ?? '';
    await cluster.ok(host, 'network', 'create', '-d', 'overlay', 'net-a');

    const filler = await fill(mnt);
    // The first write finds the disk full inside the log: it says it applies once space returns.
    const first = await cluster.cli(host, 'network', 'create', '-d', 'overlay', 'net-b');
    expect(first.code).not.toBe(0);
    expect(first.stderr).toMatch(new RegExp(`no space left on device under ${mnt} on manager \\w+: write refused; this write reached the log first and applies once space returns`));
    // Later writes are refused before they go anywhere.
    const refused = await cluster.cli(host, 'network', 'create', '-d', 'overlay', 'net-x');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`no space left on device under ${mnt} on manager \\w+: write refused`));
    expect(host.daemon!.child.exitCode).toBeNull();

    await unlink(filler);
    await waitFor('writes to be taken again', async () => ((await cluster.cli(host, 'network', 'create', '-d', 'overlay', 'net-c')).code === 0 ? true : undefined), 30_000);
    expect(await networks()).toEqual(expect.arrayContaining(['net-a', 'net-b', 'net-c']));
    expect(await networks()).not.toContain('net-x');
  }, LONG);

  it('exits non-zero with one clear line on an unrecoverable write error, and recovers from its WAL on restart', async () => {
    await run('mount', ['-o', 'remount,ro', mnt]);
    const daemon = host.daemon!;
    // Any write now fails in the WAL with EROFS: not a full disk, the member stops for good.
    await cluster.cli(host, 'network', 'create', '-d', 'overlay', 'net-d');
    const exited = await daemon.exited;
    expect(exited.code).toBe(1);
    const fatal = exited.stderr.split('\n').filter((l) => l.includes('"level":60'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(/raft member \d+ of manager \w+ failed \(data dir [^)]+\): .*exiting so the supervisor restarts flotillad/);

    await run('mount', ['-o', 'remount,rw', mnt]);
    await cluster.start(host);
    await waitFor('the restarted manager to list the networks', async () => {
      const ls = await cluster.cli(host, 'network', 'ls');
      return ls.code === 0 && ['net-a', 'net-b', 'net-c'].every((n) => names(ls.stdout).includes(n)) ? true : undefined;
    }, 30_000);
  }, LONG);
});
