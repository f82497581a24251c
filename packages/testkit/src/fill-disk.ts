// Fills a (small, test-owned) filesystem: for tests of what a program does when its disk is full.
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `dir`/filler until the filesystem under `dir` is full (ENOSPC); returns the file's path. */
export async function fillDisk(dir: string): Promise<string> {
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
