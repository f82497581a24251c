// swarm init --force-new-cluster, swarm backup and swarm restore, as a user runs the built CLI:
// what is refused before any daemon is dialled, and what --help says. The daemon side runs end
// to end in apps/flotillad/test/e2e/disaster-recovery.test.ts.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBackupFile, SwarmBackup } from '@flotilla/api';
import { runBuiltCli } from './helpers/run-cli.js';

let dir: string;
let host: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-backup-'));
  host = `unix://${join(dir, 'none.sock')}`;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('swarm disaster recovery commands', () => {
  it('--force-new-cluster with another init flag is a usage error, before any connection', async () => {
    const run = await runBuiltCli(['-H', host, 'swarm', 'init', '--force-new-cluster', '--advertise-addr', '10.0.0.1', '--listen-addr', '10.0.0.1:2377']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: "flotilla: --force-new-cluster keeps this manager's addresses and the swarm's settings: leave out --advertise-addr, --listen-addr\n" });
  });

  it('restore refuses a file that is not a backup, or a damaged one, and never dials the daemon', async () => {
    const notBackup = join(dir, 'notes.txt');
    await writeFile(notBackup, 'hello');
    expect(await runBuiltCli(['-H', host, 'swarm', 'restore', notBackup])).toEqual({
      code: 1,
      stdout: '',
      stderr: `flotilla: ${notBackup}: not a flotilla swarm backup (it does not start with FLOTILLA-SWARM-BACKUP-1)\n`,
    });
    const damaged = Buffer.from(encodeBackupFile(SwarmBackup.fromPartial({ clusterId: 'c1', nodeId: 'n1', storeSnapshot: Buffer.from('x') })));
    damaged[damaged.length - 1]! ^= 1;
    const damagedFile = join(dir, 'damaged.bak');
    await writeFile(damagedFile, damaged);
    expect((await runBuiltCli(['-H', host, 'swarm', 'restore', damagedFile])).stderr).toMatch(/damaged\.bak: the swarm backup is damaged: its SHA-256 does not match/);
    expect((await runBuiltCli(['-H', host, 'swarm', 'restore', join(dir, 'missing.bak')])).stderr).toMatch(/^flotilla: cannot read the backup .*missing\.bak: ENOENT/);
  });

  it('backup with no daemon says so in one line and leaves no file behind', async () => {
    const file = join(dir, 'swarm.bak');
    const run = await runBuiltCli(['-H', host, 'swarm', 'backup', file]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `flotilla: cannot connect to flotillad at ${host}: is it running?\n` });
    expect(await readdir(dir)).toEqual([]);
  });

  it('--help says what the backup holds, that it is written 0600, and how --force-new-cluster behaves', async () => {
    const backup = (await runBuiltCli(['swarm', 'backup', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(backup).toContain('written 0600');
    expect(backup).toContain('root CA key');
    const restore = (await runBuiltCli(['swarm', 'restore', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(restore).toContain('in no swarm');
    const init = (await runBuiltCli(['swarm', 'init', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(init).toContain('--force-new-cluster');
    expect(init).toContain('the other managers are dropped from the Raft group, the state is kept');
  });
});
