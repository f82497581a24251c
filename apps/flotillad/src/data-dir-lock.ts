import { mkdir, link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './errno.js';

// A pid file that doubles as the lock, as dockerd's docker.pid does; scripts read it to stop the daemon.
export const LOCK_FILE_NAME = 'flotillad.pid';

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(`data dir ${dataDir} is in use by another flotillad (pid ${holderPid}); stop it or use another --data-dir`);
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

/**
 * Takes the data dir for this process. The lock file holds the owner's pid; it is created
 * whole (written aside, then hard-linked into place, which fails if the name exists), so a
 * reader never sees an empty or half-written file. A lock whose pid is no longer running is
 * left over from a crash and is taken over.
 */
export async function lockDataDir(dataDir: string, pid: number = process.pid): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE_NAME);
  const staging = join(dataDir, `.${LOCK_FILE_NAME}.${pid}`);
  await writeFile(staging, `${pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(staging, path);
        break;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const holder = await readLockPid(path);
      if (holder !== undefined && holder !== pid && isProcessAlive(holder)) throw new DataDirInUseError(dataDir, holder);
      // Stale (dead owner, or unreadable). Once is enough: a second EEXIST means another
      // process raced us to it.
      if (attempt > 0) throw new Error(`cannot lock data dir ${dataDir}: ${path} was re-created by another process`);
      await unlink(path).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err;
      });
    }
  } finally {
    await unlink(staging).catch(() => {});
  }
  return {
    path,
    async release() {
      // Never throws: a lock that cannot be removed is stale on the next start anyway.
      const holder = await readLockPid(path).catch(() => undefined);
      if (holder === pid) await unlink(path).catch(() => {});
    },
  };
}

async function readLockPid(path: string): Promise<number | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(err) === 'EPERM';
  }
}
