// Reading the segment files on open: parse each, cut a torn tail off the last one, and refuse
// anything else that does not add up (corrupt record, torn non-last segment, gap between segments).
import { open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { WalCorruptionError } from './errors.js';
import { fsyncDir } from './fsync.js';
import { parseSegment, parseSegmentFileName, type WalEntry } from './segment-format.js';

/** What the WAL remembers about one segment file. */
export interface SegmentState {
  firstIndex: number;
  path: string;
  size: number;
  /** terms[k] / ends[k]: term of, and byte offset just past, entry firstIndex + k. */
  terms: number[];
  ends: number[];
}

export const lastIndexOf = (s: SegmentState): number => s.firstIndex + s.terms.length - 1;

export async function loadSegments(walDir: string, logger: Logger): Promise<{ segments: SegmentState[]; entries: WalEntry[] }> {
  const names = (await readdir(walDir))
    .map((name) => ({ name, first: parseSegmentFileName(name) }))
    .filter((x): x is { name: string; first: number } => {
      if (x.first === undefined) logger.warn({ file: join(walDir, x.name) }, 'ignoring unknown file in the WAL directory');
      return x.first !== undefined;
    })
    .sort((a, b) => a.first - b.first);

  const segments: SegmentState[] = [];
  const entries: WalEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    const { name, first } = names[i]!;
    const path = join(walDir, name);
    const isLast = i === names.length - 1;
    const buf = await readFile(path);
    const parsed = parseSegment(buf, first);
    if (parsed.problem) throw new WalCorruptionError(path, parsed.problem.offset, parsed.problem.reason);
    if (parsed.tail.kind === 'torn') {
      if (!isLast) {
        throw new WalCorruptionError(path, parsed.tail.offset, `incomplete record in a segment that is not the last (${parsed.tail.reason})`);
      }
      logger.warn(
        { file: path, offset: parsed.tail.offset, reason: parsed.tail.reason, droppedBytes: buf.length - parsed.validBytes },
        'truncating torn final record of the write-ahead log',
      );
      if (parsed.validBytes === 0) {
        // The crash hit while the segment header itself was being written: the file never held an entry.
        await unlink(path);
        await fsyncDir(walDir);
        continue;
      }
      const handle = await open(path, 'r+');
      try {
        await handle.truncate(parsed.validBytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else if (parsed.validBytes === 0) {
      if (!isLast) throw new WalCorruptionError(path, 0, 'empty segment that is not the last');
      logger.warn({ file: path }, 'removing empty final segment left by a crash');
      await unlink(path);
      await fsyncDir(walDir);
      continue;
    }
    const prev = segments[segments.length - 1];
    if (prev !== undefined && first !== lastIndexOf(prev) + 1) {
      throw new WalCorruptionError(path, 0, `gap in the log: previous segment ends at index ${lastIndexOf(prev)}, this one starts at ${first}`);
    }
    segments.push({
      firstIndex: first,
      path,
      size: parsed.validBytes,
      terms: parsed.entries.map((e) => e.term),
      ends: parsed.entryEnds,
    });
    for (const e of parsed.entries) entries.push(e);
  }
  return { segments, entries };
}
