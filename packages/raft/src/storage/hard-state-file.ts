// Hard state (term, vote, commit — opaque bytes here) lives in its own two-slot file, not in
// the segments: truncating a conflicting log tail must never cut away the latest vote.
// Writes alternate between the slots, so a torn write damages only the slot being written
// and the other still holds the previous durable value.
import { open, readFile, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { crc32c } from './crc32c.js';
import { PRIVATE_FILE_MODE } from './private-modes.js';
import { WalCorruptionError, WalUsageError } from './errors.js';
import { fsyncDir, writeFully } from './fsync.js';
import { readU64, writeU64 } from './record.js';

export const SLOT_BYTES = 512;
const SLOT_HEADER_BYTES = 16; // u32 length, u32 crc, u64 sequence
export const MAX_HARD_STATE_BYTES = SLOT_BYTES - SLOT_HEADER_BYTES;

interface Slot {
  seq: number;
  payload: Buffer;
}

function encodeSlot(seq: number, payload: Uint8Array): Buffer {
  const buf = Buffer.alloc(SLOT_BYTES);
  buf.writeUInt32LE(payload.length, 0);
  writeU64(buf, seq, 8);
  buf.set(payload, SLOT_HEADER_BYTES);
  buf.writeUInt32LE(slotChecksum(buf, payload.length), 4);
  return buf;
}

function slotChecksum(slot: Buffer, len: number): number {
  return crc32c(slot, crc32c(slot, 0, 0, 4), 8, SLOT_HEADER_BYTES + len);
}

type SlotRead = { kind: 'empty' } | { kind: 'valid'; slot: Slot } | { kind: 'bad'; reason: string };

function readSlot(buf: Buffer): SlotRead {
  if (buf.every((b) => b === 0)) return { kind: 'empty' };
  if (buf.length < SLOT_BYTES) return { kind: 'bad', reason: `slot cut short at ${buf.length} bytes` };
  const len = buf.readUInt32LE(0);
  if (len === 0 || len > MAX_HARD_STATE_BYTES) return { kind: 'bad', reason: `bad length ${len}` };
  if (slotChecksum(buf, len) !== buf.readUInt32LE(4)) return { kind: 'bad', reason: 'CRC32C mismatch' };
  return { kind: 'valid', slot: { seq: readU64(buf, 8), payload: Buffer.from(buf.subarray(SLOT_HEADER_BYTES, SLOT_HEADER_BYTES + len)) } };
}

export class HardStateFile {
  private constructor(
    private readonly path: string,
    private readonly dir: string,
    private handle: FileHandle | undefined,
    private seq: number,
    private current: Buffer | undefined,
  ) {}

  static async load(path: string, dir: string, logger: Logger): Promise<HardStateFile> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new HardStateFile(path, dir, undefined, 0, undefined);
      throw err;
    }
    const reads = [readSlot(buf.subarray(0, SLOT_BYTES)), readSlot(buf.subarray(SLOT_BYTES, 2 * SLOT_BYTES))];
    const valid = reads.flatMap((r) => (r.kind === 'valid' ? [r.slot] : []));
    const bad = reads.map((r, i) => ({ r, i })).filter((x) => x.r.kind === 'bad');
    if (valid.length === 0 && bad.length > 0) {
      const first = bad[0]!;
      throw new WalCorruptionError(path, first.i * SLOT_BYTES, `no valid hard state slot (${(first.r as { reason: string }).reason})`);
    }
    for (const { r, i } of bad) {
      // Only one slot is ever written at a time, so one bad slot next to a good one is a torn write.
      logger.warn({ file: path, offset: i * SLOT_BYTES, reason: (r as { reason: string }).reason }, 'ignoring torn hard state slot; using the other slot');
    }
    const newest = valid.sort((a, b) => b.seq - a.seq)[0];
    return new HardStateFile(path, dir, undefined, newest?.seq ?? 0, newest?.payload);
  }

  get value(): Buffer | undefined {
    return this.current;
  }

  async save(payload: Uint8Array): Promise<void> {
    if (payload.length === 0 || payload.length > MAX_HARD_STATE_BYTES) {
      throw new WalUsageError(`hard state must be 1..${MAX_HARD_STATE_BYTES} bytes, got ${payload.length}`);
    }
    if (this.current !== undefined && this.current.equals(payload)) return;
    if (this.handle === undefined) {
      let created = false;
      try {
        this.handle = await open(this.path, 'r+');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.handle = await open(this.path, 'w+', PRIVATE_FILE_MODE);
        created = true;
      }
      if (created) await fsyncDir(this.dir);
    }
    const seq = this.seq + 1;
    await writeFully(this.handle, encodeSlot(seq, payload), (seq % 2) * SLOT_BYTES);
    await this.handle.datasync();
    this.seq = seq;
    this.current = Buffer.from(payload);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
