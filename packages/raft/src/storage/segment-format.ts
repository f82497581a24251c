// What a WAL segment file holds: a header record naming its first index, then entry records
// with consecutive indexes. Pure (no I/O) so corruption handling can be tested byte by byte.
import { encodeRecord, readU64, RecordType, scanRecords, writeU64, type ScanTail } from './record.js';

export interface WalEntry {
  index: number;
  term: number;
  /** Opaque to the WAL: the caller's encoding of the Raft entry. */
  data: Uint8Array;
}

const MAGIC = Buffer.from('FLOTWAL\0', 'latin1');
const FORMAT_VERSION = 1;
const HEADER_PAYLOAD_BYTES = MAGIC.length + 4 + 8;

export const SEGMENT_SUFFIX = '.wal';

export function segmentFileName(firstIndex: number): string {
  return `${firstIndex.toString(16).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

/** The first index encoded in a segment name, or undefined when the name is not a segment's. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^([0-9a-f]{16})\.wal$/.exec(name);
  return m ? parseInt(m[1]!, 16) : undefined;
}

export function encodeSegmentHeader(firstIndex: number): Buffer {
  const payload = Buffer.alloc(HEADER_PAYLOAD_BYTES);
  MAGIC.copy(payload, 0);
  payload.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
  writeU64(payload, firstIndex, MAGIC.length + 4);
  return encodeRecord(RecordType.SegmentHeader, payload);
}

export function encodeEntryRecord(entry: WalEntry): Buffer {
  const payload = Buffer.allocUnsafe(16 + entry.data.length);
  writeU64(payload, entry.index, 0);
  writeU64(payload, entry.term, 8);
  payload.set(entry.data, 16);
  return encodeRecord(RecordType.Entry, payload);
}

export interface ParsedSegment {
  firstIndex: number;
  entries: WalEntry[];
  /** entryEnds[k] is the byte offset just past entry firstIndex + k. */
  entryEnds: number[];
  /** Bytes of trusted content; the file is longer only when the tail is torn. */
  validBytes: number;
  /** 'clean' or 'torn' only; any other defect becomes `problem`. */
  tail: ScanTail;
  problem?: { offset: number; reason: string };
}

/** Parses a segment's bytes and checks the header and index sequence against the name's `firstIndex`. */
export function parseSegment(buf: Buffer, firstIndex: number): ParsedSegment {
  const { records, tail } = scanRecords(buf);
  const out: ParsedSegment = { firstIndex, entries: [], entryEnds: [], validBytes: 0, tail };
  if (tail.kind === 'corrupt') out.problem = { offset: tail.offset, reason: tail.reason };
  const fail = (offset: number, reason: string): ParsedSegment => {
    out.problem = { offset, reason };
    return out;
  };
  const header = records[0];
  if (header === undefined) return out;
  if (header.type !== RecordType.SegmentHeader || header.payload.length !== HEADER_PAYLOAD_BYTES) {
    return fail(header.offset, 'first record is not a segment header');
  }
  if (!header.payload.subarray(0, MAGIC.length).equals(MAGIC)) return fail(0, 'bad segment magic');
  const version = header.payload.readUInt32LE(MAGIC.length);
  if (version !== FORMAT_VERSION) return fail(0, `unsupported segment format version ${version}`);
  const headerFirst = readU64(header.payload, MAGIC.length + 4);
  if (headerFirst !== firstIndex) {
    return fail(0, `header says first index ${headerFirst} but the file name says ${firstIndex}`);
  }
  out.validBytes = header.end;
  let expected = firstIndex;
  for (let i = 1; i < records.length; i++) {
    const rec = records[i]!;
    if (rec.type !== RecordType.Entry || rec.payload.length < 16) {
      return fail(rec.offset, `unexpected record type ${rec.type} inside a segment`);
    }
    const index = readU64(rec.payload, 0);
    if (index !== expected) return fail(rec.offset, `entry index ${index} where ${expected} was expected`);
    out.entries.push({ index, term: readU64(rec.payload, 8), data: rec.payload.subarray(16) });
    out.entryEnds.push(rec.end);
    out.validBytes = rec.end;
    expected++;
  }
  return out;
}
