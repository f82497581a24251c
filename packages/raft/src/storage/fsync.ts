import { open } from 'node:fs/promises';

/** Makes a create, rename or unlink inside `dir` durable; without it a crash can undo the name change. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
