// A manager's Raft data on a real small tmpfs (mounted by the test; the tests run as root), with a
// real flotillad: a full disk refuses writes with a clear error and the daemon carries on by itself
// once space returns; an unrecoverable write error (its snapshot directory replaced by a file, so
// writing a snapshot fails with ENOTDIR) makes the daemon log one line and exit non-zero, and
// restarted it recovers every acknowledged write from its WAL. Nothing is mocked.
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { fillDisk } from '@flotilla/testkit';
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
/** Networks whose create was acknowledged: all must be there after the restart. */
const acked: string[] = [];

beforeAll(async () => {
  // Snapshots every 20 entries, so the test reaches one in a few writes.
  cluster = await startLoopbackCluster({ addrs: [ADDR], names: ['e2e-disk'], tmpPrefix: 'flotillad-store-disk-', daemonEnv: { FLOTILLA_RAFT_SNAPSHOT_EVERY: '20' } });
  host = cluster.hosts[0]!;
  mnt = join(host.dataDir, 'swarm', 'raft');
}, LONG);

afterAll(async () => {
  // The daemon first, then the mount (cluster.stop removes the temp dir, mount point included).
  if (host?.daemon && host.daemon.child.exitCode === null) {
    host.daemon.child.kill('SIGTERM');
    await host.daemon.exited;
  }
  if (mounted) await run('umount', ['-l', mnt]).catch(() => undefined);
  await cluster?.stop();
}, LONG);

/** Moves the manager's Raft directory onto its own 4 MiB tmpfs: stop, copy aside, mount, copy back, start. */
async function raftDirOnSmallDisk(): Promise<void> {
  host.daemon!.child.kill('SIGTERM');
  await host.daemon!.exited;
  const aside = join(cluster.dir, 'raft-aside');
  await run('cp', ['-a', mnt, aside]);
  await rm(mnt, { recursive: true, force: true });
  await mkdir(mnt);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
  mounted = true;
  await run('cp', ['-a', `${aside}/.`, mnt]);
  await cluster.start(host);
}

/** The NAME column of `network ls`. */
const names = (table: string): string[] => table.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[1]!);
const networks = async (): Promise<string[]> => names(await cluster.ok(host, 'network', 'ls'));

describe('a manager whose Raft disk fills up or fails', () => {
  it('refuses writes with a clear error while the disk is full and resumes by itself', async () => {
    await cluster.ok(host, 'swarm', 'init', '--advertise-addr', ADDR, '--listen-addr', `${ADDR}:${cluster.joinPort}`);
    host.nodeId = (/NodeID: (\w+)/.exec(await cluster.ok(host, 'info')) ?? [])[1] ?? '';
    await cluster.ok(host, 'network', 'create', '-d', 'overlay', 'net-a');
    // `swarm init` recreates the swarm directory, so the small disk goes in after it.
    await raftDirOnSmallDisk();
    await waitFor('the restarted manager to serve', async () => ((await cluster.cli(host, 'network', 'ls')).code === 0 ? true : undefined), 30_000);
    await cluster.ok(host, 'network', 'create', '-d', 'overlay', 'net-b');
    acked.push('net-b');

    const filler = await fillDisk(mnt);
    // The WAL may still append into the page it last wrote: write until a write is refused.
    acked.push('net-a');
    let first: Awaited<ReturnType<typeof cluster.cli>> | undefined;
    let firstName = '';
    for (let i = 0; i < 100 && first === undefined; i++) {
      const run = await cluster.cli(host, 'network', 'create', '-d', 'overlay', `net-f${i}`);
      if (run.code === 0) acked.push(`net-f${i}`);
      else [first, firstName] = [run, `net-f${i}`];
    }
    const refusal = new RegExp(`no space left on device under ${mnt} on manager \\w+: write refused`);
    expect(first?.stderr).toMatch(refusal);
    // The write that found the disk full had reached the log: it says so, and applies once space returns.
    const inLog = first!.stderr.includes('this write reached the log first and applies once space returns');
    // Later writes are refused before they go anywhere.
    const refused = await cluster.cli(host, 'network', 'create', '-d', 'overlay', 'net-x');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(refusal);
    expect(refused.stderr).not.toContain('reached the log');
    expect(host.daemon!.child.exitCode).toBeNull();

    await unlink(filler);
    await waitFor('writes to be taken again', async () => ((await cluster.cli(host, 'network', 'create', '-d', 'overlay', 'net-c')).code === 0 ? true : undefined), 30_000);
    acked.push('net-c');
    const now = await networks();
    expect(now).toEqual(expect.arrayContaining(acked));
    expect(now.includes(firstName)).toBe(inLog);
    expect(now).not.toContain('net-x');
  }, LONG);

  it('exits non-zero with one clear line on an unrecoverable write error, and recovers from its WAL on restart', async () => {
    const snap = join(mnt, 'snap');
    await rename(snap, `${snap}.kept`);
    await writeFile(snap, 'not a directory');
    const daemon = host.daemon!;
    // Writes until the next snapshot is due: writing it fails with ENOTDIR, and the member stops for good.
    for (let i = 0; i < 40 && daemon.child.exitCode === null; i++) {
      const run = await cluster.cli(host, 'network', 'create', '-d', 'overlay', `net-s${i}`);
      if (run.code === 0) acked.push(`net-s${i}`);
    }
    await waitFor('the daemon to exit after its snapshot failed', async () => (daemon.child.exitCode !== null ? true : undefined), 30_000);
    const exited = await daemon.exited;
    expect(exited.code).toBe(1);
    const fatal = exited.stderr.split('\n').filter((l) => l.includes('"level":60'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(/raft member \d+ of manager \w+ failed \(data dir [^)]+\): .*ENOTDIR.*exiting so the supervisor restarts flotillad/);

    await unlink(snap);
    await rename(`${snap}.kept`, snap);
    await cluster.start(host);
    await waitFor('the restarted manager to list every acknowledged network', async () => {
      const ls = await cluster.cli(host, 'network', 'ls');
      return ls.code === 0 && acked.every((n) => names(ls.stdout).includes(n)) ? true : undefined;
    }, 30_000);
  }, LONG);
});
