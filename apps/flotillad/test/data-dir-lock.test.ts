import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE_NAME, lockDataDir } from '../src/data-dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotillad-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has certainly exited (it ran to completion before we look). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('lockDataDir', () => {
  it('creates the data dir 0700 and a pid file holding our pid, and leaves no staging file', async () => {
    const dataDir = join(dir, 'a', 'b');
    const lock = await lockDataDir(dataDir);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(await readFile(lock.path, 'utf8')).toBe(`${process.pid}\n`);
    expect(await readdir(dataDir)).toEqual([LOCK_FILE_NAME]);
    await lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('refuses while the holder is alive, naming its pid', async () => {
    // This test process is alive; present it as the holder and ask for the lock as another pid.
    await lockDataDir(dir, process.pid);
    const attempt = lockDataDir(dir, process.pid + 1_000_000);
    await expect(attempt).rejects.toThrow(DataDirInUseError);
    await expect(attempt).rejects.toThrow(`data dir ${dir} is in use by another flotillad (pid ${process.pid})`);
    expect(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).toBe(`${process.pid}\n`);
  });

  it.each([
    ['a dead pid', () => `${deadPid()}\n`],
    ['garbage', () => 'not a pid'],
    ['nothing', () => ''],
  ])('takes over a lock file holding %s', async (_what, content) => {
    await writeFile(join(dir, LOCK_FILE_NAME), content());
    const lock = await lockDataDir(dir);
    expect(await readFile(lock.path, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('release leaves alone a lock that another process has taken since', async () => {
    const lock = await lockDataDir(dir);
    await writeFile(lock.path, '424242\n');
    await lock.release();
    expect(await readFile(lock.path, 'utf8')).toBe('424242\n');
  });
});
