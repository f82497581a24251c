// Record framing shared by WAL segments:
//   u32le payloadLength | u32le crc32c(length bytes, type, payload) | u8 type | payload
// The checksum covers the length so a flipped length byte is caught as corruption
// instead of being trusted to skip over (and silently drop) following records.
import { crc32c } from './crc32c.js';

export const RECORD_HEADER_BYTES = 9;
/** Larger lengths can only come from corruption; no entry batch is split into records this big. */
export const MAX_RECORD_PAYLOAD = 64 * 1024 * 1024;

export const RecordType = {
  SegmentHeader: 1,
  Entry: 2,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];
const KNOWN_TYPES = new Set<number>(Object.values(RecordType));

export interface RecordView {
  type: RecordType;
  payload: Buffer;
  /** Byte offset of the record header in the scanned buffer. */
  offset: number;
  /** Byte offset just past the record. */
  end: number;
}

export type ScanTail =
  | { kind: 'clean' }
  /** The buffer ends inside a record (short or zero-filled write): acceptable only at the very end of the log. */
  | { kind: 'torn'; offset: number; reason: string }
  | { kind: 'corrupt'; offset: number; reason: string };

export interface ScanResult {
  records: RecordView[];
  tail: ScanTail;
}

export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out[8] = type;
  out.set(payload, RECORD_HEADER_BYTES);
  out.writeUInt32LE(checksum(out, 0, out.length), 4);
  return out;
}

function checksum(buf: Uint8Array, start: number, end: number): number {
  // length bytes, then type + payload (skipping the crc field itself)
  return crc32c(buf, crc32c(buf, 0, start, start + 4), start + 8, end);
}

function allZero(buf: Uint8Array, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Reads records from the start of `buf` until the end or the first record it cannot trust. */
export function scanRecords(buf: Buffer): ScanResult {
  const records: RecordView[] = [];
  let off = 0;
  while (off < buf.length) {
    const remaining = buf.length - off;
    if (remaining < RECORD_HEADER_BYTES) {
      return { records, tail: { kind: 'torn', offset: off, reason: `${remaining} bytes, shorter than a record header` } };
    }
    const len = buf.readUInt32LE(off);
    if (len > MAX_RECORD_PAYLOAD) {
      if (allZero(buf, off)) return { records, tail: { kind: 'torn', offset: off, reason: 'zero-filled tail' } };
      return { records, tail: { kind: 'corrupt', offset: off, reason: `bad record length ${len}` } };
    }
    const end = off + RECORD_HEADER_BYTES + len;
    if (end > buf.length) {
      return {
        records,
        tail: { kind: 'torn', offset: off, reason: `record of ${len} bytes cut short after ${remaining - RECORD_HEADER_BYTES}` },
      };
    }
    const stored = buf.readUInt32LE(off + 4);
    if (checksum(buf, off, end) !== stored) {
      if (allZero(buf, off)) return { records, tail: { kind: 'torn', offset: off, reason: 'zero-filled tail' } };
      return { records, tail: { kind: 'corrupt', offset: off, reason: 'CRC32C mismatch' } };
    }
    const type = buf[off + 8]!;
    if (!KNOWN_TYPES.has(type)) {
      return { records, tail: { kind: 'corrupt', offset: off, reason: `unknown record type ${type}` } };
    }
    records.push({ type: type as RecordType, payload: buf.subarray(off + RECORD_HEADER_BYTES, end), offset: off, end });
    off = end;
  }
  return { records, tail: { kind: 'clean' } };
}

/** u64 fields hold Raft indexes and terms; they stay below 2^53 so a JS number is exact. */
export function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32LE(value % 0x1_0000_0000, offset);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4);
}

export function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * 0x1_0000_0000;
}
