// Snapshot files: one file per snapshot, written to a temp name, fsynced, renamed into place
// and the directory fsynced, so a crash leaves either the old set or the new set, never half a file.
//   magic "FLOTSNP\0" | u32 version | u64 index | u64 term | u32 dataLength | data | u32 crc32c(all before)
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { crc32c } from './crc32c.js';
import { WalCorruptionError } from './errors.js';
import { fsyncDir } from './fsync.js';
import { readU64, writeU64 } from './record.js';

export interface WalSnapshot {
  index: number;
  term: number;
  /** Opaque to the WAL: the caller's encoding of the snapshot (state machine bytes, membership, ...). */
  data: Uint8Array;
}

const MAGIC = Buffer.from('FLOTSNP\0', 'latin1');
const VERSION = 1;
const HEAD_BYTES = MAGIC.length + 4 + 8 + 8 + 4;
const TMP_SUFFIX = '.tmp';

export function snapshotFileName(index: number, term: number): string {
  return `${index.toString(16).padStart(16, '0')}-${term.toString(16).padStart(16, '0')}.snap`;
}

function parseSnapshotFileName(name: string): { index: number; term: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
  return m ? { index: parseInt(m[1]!, 16), term: parseInt(m[2]!, 16) } : undefined;
}

export function encodeSnapshotFile(snap: WalSnapshot): Buffer {
  const buf = Buffer.allocUnsafe(HEAD_BYTES + snap.data.length + 4);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(VERSION, 8);
  writeU64(buf, snap.index, 12);
  writeU64(buf, snap.term, 20);
  buf.writeUInt32LE(snap.data.length, 28);
  buf.set(snap.data, HEAD_BYTES);
  buf.writeUInt32LE(crc32c(buf, 0, 0, HEAD_BYTES + snap.data.length), HEAD_BYTES + snap.data.length);
  return buf;
}

export function decodeSnapshotFile(buf: Buffer, file: string): WalSnapshot {
  if (buf.length < HEAD_BYTES + 4) throw new WalCorruptionError(file, buf.length, 'snapshot file shorter than its header');
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new WalCorruptionError(file, 0, 'bad snapshot magic');
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new WalCorruptionError(file, 8, `unsupported snapshot format version ${version}`);
  const len = buf.readUInt32LE(28);
  if (HEAD_BYTES + len + 4 !== buf.length) {
    throw new WalCorruptionError(file, 28, `snapshot data length ${len} does not match file size ${buf.length}`);
  }
  if (crc32c(buf, 0, 0, HEAD_BYTES + len) !== buf.readUInt32LE(HEAD_BYTES + len)) {
    throw new WalCorruptionError(file, HEAD_BYTES + len, 'snapshot CRC32C mismatch');
  }
  return { index: readU64(buf, 12), term: readU64(buf, 20), data: buf.subarray(HEAD_BYTES, HEAD_BYTES + len) };
}

export interface SnapshotListing {
  name: string;
  index: number;
  term: number;
}

export class SnapshotDir {
  constructor(
    readonly dir: string,
    private readonly keep: number,
    private readonly logger: Logger,
  ) {}

  /** Lists snapshot files, oldest first; removes temp files a crash left behind (never committed). */
  async list(): Promise<SnapshotListing[]> {
    const names = await readdir(this.dir);
    const out: SnapshotListing[] = [];
    for (const name of names) {
      if (name.endsWith(TMP_SUFFIX)) {
        this.logger.warn({ file: join(this.dir, name) }, 'removing unfinished snapshot temp file left by a crash');
        await unlink(join(this.dir, name));
        continue;
      }
      const parsed = parseSnapshotFileName(name);
      if (parsed === undefined) {
        this.logger.warn({ file: join(this.dir, name) }, 'ignoring unknown file in the snapshot directory');
        continue;
      }
      out.push({ name, ...parsed });
    }
    return out.sort((a, b) => a.index - b.index || a.term - b.term);
  }

  /** The newest snapshot; a corrupt newest snapshot refuses to start rather than falling back silently. */
  async loadNewest(): Promise<WalSnapshot | undefined> {
    const all = await this.list();
    const newest = all[all.length - 1];
    if (newest === undefined) return undefined;
    const file = join(this.dir, newest.name);
    const snap = decodeSnapshotFile(await readFile(file), file);
    if (snap.index !== newest.index || snap.term !== newest.term) {
      throw new WalCorruptionError(file, 12, `snapshot header (index ${snap.index}, term ${snap.term}) does not match its file name`);
    }
    return snap;
  }

  async write(snap: WalSnapshot): Promise<void> {
    const name = snapshotFileName(snap.index, snap.term);
    const tmp = join(this.dir, name + TMP_SUFFIX);
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(encodeSnapshotFile(snap));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, name));
    await fsyncDir(this.dir);
    await this.prune();
  }

  private async prune(): Promise<void> {
    const all = await this.list();
    const excess = all.slice(0, Math.max(0, all.length - this.keep));
    for (const s of excess) await unlink(join(this.dir, s.name));
    if (excess.length > 0) await fsyncDir(this.dir);
  }
}
