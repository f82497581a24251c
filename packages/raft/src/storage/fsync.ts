import { open, type FileHandle } from 'node:fs/promises';

/** Makes a create, rename or unlink inside `dir` durable; without it a crash can undo the name change. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes all of `buf` at `position`. One write(2) may write less than asked (a nearly full disk);
 * the rest is written in further calls, so a full disk surfaces as ENOSPC instead of a short file.
 */
export async function writeFully(handle: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw Object.assign(new Error(`write made no progress at offset ${position + done}`), { code: 'EIO' });
    done += bytesWritten;
  }
}
