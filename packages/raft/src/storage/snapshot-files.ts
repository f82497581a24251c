// Snapshot files: one file per snapshot, written to a temp name, fsynced, renamed into place
// and the directory fsynced, so a crash leaves either the old set or the new set, never half a file.
//   magic "FLOTSNP\0" | u32 version | u64 index | u64 term | u32 dataLength | data | u32 crc32c(all before)
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { crc32c } from './crc32c.js';
import { WalCorruptionError, WalNoSpaceError, isNoSpace } from './errors.js';
import { fsyncDir, writeFully } from './fsync.js';
import { PRIVATE_FILE_MODE } from './private-modes.js';
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

/** A snapshot written and fsynced under its temporary name, waiting to be made the newest. */
export interface PreparedSnapshot {
  readonly index: number;
  readonly term: number;
  readonly tmpPath: string;
  readonly name: string;
}

/** A snapshot whose data is given as pieces that, joined, are the data (written without joining them). */
export interface WalSnapshotPieces {
  index: number;
  term: number;
  pieces: readonly Uint8Array[];
}

/** The header of a snapshot file (everything before the data). */
function snapshotHead(snap: { index: number; term: number; data: { length: number } }): Buffer {
  const head = Buffer.allocUnsafe(HEAD_BYTES);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(VERSION, 8);
  writeU64(head, snap.index, 12);
  writeU64(head, snap.term, 20);
  head.writeUInt32LE(snap.data.length, 28);
  return head;
}

const CRC_SLICE_BYTES = 1 << 20;

/** CRC32C of head + data pieces, about a MiB at a time with the event loop free in between. */
async function fileChecksum(head: Buffer, pieces: readonly Uint8Array[]): Promise<number> {
  let crc = crc32c(head, 0, 0, head.length);
  let sinceYield = 0;
  for (const piece of pieces) {
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    for (let at = 0; at < buf.length; at += CRC_SLICE_BYTES) {
      const end = Math.min(buf.length, at + CRC_SLICE_BYTES);
      crc = crc32c(buf, crc, at, end);
      sinceYield += end - at;
      if (sinceYield >= CRC_SLICE_BYTES) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
    }
  }
  return crc;
}

/** Pieces grouped into writes of about a MiB (small pieces joined, large ones as they are). */
function* writeGroups(pieces: readonly Uint8Array[]): Generator<Uint8Array> {
  let group: Uint8Array[] = [];
  let bytes = 0;
  for (const p of pieces) {
    group.push(p);
    bytes += p.length;
    if (bytes >= CRC_SLICE_BYTES) {
      yield group.length === 1 ? group[0]! : Buffer.concat(group);
      group = [];
      bytes = 0;
    }
  }
  if (group.length > 0) yield group.length === 1 ? group[0]! : Buffer.concat(group);
}

export function encodeSnapshotFile(snap: WalSnapshot): Buffer {
  const buf = Buffer.concat([snapshotHead(snap), snap.data, Buffer.alloc(4)]);
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

  /** Removes temp files a crash left behind (never committed). Only at open: later, one may be a write under way. */
  async removeLeftovers(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith(TMP_SUFFIX)) continue;
      this.logger.warn({ file: join(this.dir, name) }, 'removing unfinished snapshot temp file left by a crash');
      await unlink(join(this.dir, name));
    }
  }

  /** Lists snapshot files, oldest first. */
  async list(): Promise<SnapshotListing[]> {
    const names = await readdir(this.dir);
    const out: SnapshotListing[] = [];
    for (const name of names) {
      if (name.endsWith(TMP_SUFFIX)) continue;
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
    await this.removeLeftovers();
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

  /**
   * Writes the snapshot under a temporary name and fsyncs it. Touches no other file, so it may run
   * beside the log's appends. A full disk removes the temp file and throws WalNoSpaceError.
   */
  async prepare(snap: WalSnapshot | WalSnapshotPieces): Promise<PreparedSnapshot> {
    const pieces = 'pieces' in snap ? snap.pieces : [snap.data];
    const length = pieces.reduce((n, p) => n + p.length, 0);
    const name = snapshotFileName(snap.index, snap.term);
    const tmpPath = join(this.dir, name + TMP_SUFFIX);
    const head = snapshotHead({ index: snap.index, term: snap.term, data: { length } });
    const crc = Buffer.allocUnsafe(4);
    crc.writeUInt32LE(await fileChecksum(head, pieces), 0);
    const handle = await open(tmpPath, 'w', PRIVATE_FILE_MODE);
    try {
      try {
        await writeFully(handle, head, 0);
        let at = HEAD_BYTES;
        for (const group of writeGroups(pieces)) {
          await writeFully(handle, group, at);
          at += group.length;
        }
        await writeFully(handle, crc, at);
      } catch (err) {
        if (!isNoSpace(err)) throw err;
        await handle.close();
        await unlink(tmpPath);
        throw new WalNoSpaceError(this.dir, `writing snapshot ${snap.index}`, err);
      }
      await handle.sync();
    } finally {
      await handle.close().catch(() => undefined);
    }
    return { index: snap.index, term: snap.term, tmpPath, name };
  }

  /** Renames a prepared snapshot into place, durably, and keeps only the newest few. */
  async install(p: PreparedSnapshot): Promise<void> {
    await rename(p.tmpPath, join(this.dir, p.name));
    await fsyncDir(this.dir);
    await this.prune();
  }

  async discard(p: PreparedSnapshot): Promise<void> {
    await unlink(p.tmpPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async write(snap: WalSnapshot): Promise<void> {
    await this.install(await this.prepare(snap));
  }

  private async prune(): Promise<void> {
    const all = await this.list();
    const excess = all.slice(0, Math.max(0, all.length - this.keep));
    for (const s of excess) await unlink(join(this.dir, s.name));
    if (excess.length > 0) await fsyncDir(this.dir);
  }
}
