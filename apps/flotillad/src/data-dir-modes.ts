import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

/**
 * Folders of the data dir whose contents are not the daemon's private state: a plugin's files
 * keep the modes its image gave them (executables, a volume driver's data).
 */
const NOT_PRIVATE = new Set(['plugins']);

export interface ModeFix {
  readonly path: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Makes every file under the data dir 0600 and every folder 0700 (the data dir holds the Raft
 * log, keys and certificates; older versions and a loose umask left some 0644/0755). Symlinks
 * and sockets are left as they are; so is `plugins/`. Returns what it changed.
 */
export async function tightenDataDirModes(dataDir: string): Promise<ModeFix[]> {
  const fixes: ModeFix[] = [];
  const visit = async (path: string, top: boolean): Promise<void> => {
    const st = await lstat(path);
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== 0o700) {
        await chmod(path, 0o700);
        fixes.push({ path, from: mode, to: 0o700 });
      }
      for (const name of await readdir(path)) {
        if (top && NOT_PRIVATE.has(name)) continue;
        await visit(join(path, name), false).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err; // removed while walking: nothing to fix
        });
      }
    } else if (st.isFile() && (mode & 0o077) !== 0) {
      const to = mode & 0o700;
      await chmod(path, to);
      fixes.push({ path, from: mode, to });
    }
  };
  await visit(dataDir, true);
  return fixes;
}

/** At start: fixes the modes, and says so once (with a few of the paths) when anything was loose. */
export async function checkDataDirModes(dataDir: string, log: Logger): Promise<void> {
  const fixes = await tightenDataDirModes(dataDir);
  if (fixes.length === 0) return;
  log.warn(
    {
      dataDir,
      fixed: fixes.length,
      examples: fixes.slice(0, 5).map((f) => `${f.path} ${f.from.toString(8)}→${f.to.toString(8)}`),
    },
    'data dir had files or folders others could read; made them private (files 0600, folders 0700)',
  );
}
