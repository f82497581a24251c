// The durable log of a Raft member: entries in size-bounded segment files, hard state in a
// two-slot file, snapshots in their own directory. Every mutating call resolves only after
// fsync, so the caller may acknowledge (send votes / append responses) once it resolves.
import { mkdir, open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pino, type Logger } from 'pino';
import { WalCorruptionError, WalNoSpaceError, WalUsageError, isNoSpace } from './errors.js';
import { fsyncDir, writeFully } from './fsync.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-modes.js';
import { HardStateFile, MAX_HARD_STATE_BYTES } from './hard-state-file.js';
import { encodeEntryRecord, encodeSegmentHeader, parseSegment, segmentFileName, type WalEntry } from './segment-format.js';
import { lastIndexOf, loadSegments, type SegmentState } from './segment-loader.js';
import { SnapshotDir, type PreparedSnapshot, type WalSnapshot, type WalSnapshotPieces } from './snapshot-files.js';

export interface WalOptions {
  logger?: Logger;
  /** A segment is closed and a new one started once it reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Snapshot files kept on disk (newest first). Default 3. */
  keepSnapshots?: number;
  /** Entries kept before a compaction point so slow followers can catch up without a snapshot. Default 500. */
  compactionTail?: number;
}

export interface WalOpenResult {
  wal: Wal;
  /** The last saved hard state bytes, or undefined on a fresh directory. */
  hardState: Buffer | undefined;
  /** The newest snapshot, or undefined when none was saved. */
  snapshot: WalSnapshot | undefined;
  /** Every durable entry after the snapshot's index, in order. */
  entries: WalEntry[];
}

export class Wal {
  private handle: FileHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    private readonly dataDir: string,
    private readonly walDir: string,
    private readonly segments: SegmentState[],
    private readonly hardStateFile: HardStateFile,
    private readonly snapshots: SnapshotDir,
    private snapshotIndex: number,
    private snapshotTerm: number,
    private readonly logger: Logger,
    private readonly segmentBytes: number,
    private readonly compactionTail: number,
  ) {}

  /**
   * Opens (or creates) the log in `dir`. A torn final record is cut off with a warning; any other
   * damage rejects with WalCorruptionError naming the file and byte offset.
   */
  static async open(dir: string, options: WalOptions = {}): Promise<WalOpenResult> {
    const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'wal', dir });
    const walDir = join(dir, 'wal');
    const snapDir = join(dir, 'snap');
    const createdDir = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await mkdir(walDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await mkdir(snapDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await fsyncDir(dir);
    if (createdDir !== undefined) await fsyncDir(dirname(dir));

    const snapshots = new SnapshotDir(snapDir, Math.max(1, options.keepSnapshots ?? 3), logger);
    const snapshot = await snapshots.loadNewest();
    const hardStateFile = await HardStateFile.load(join(dir, 'hardstate'), dir, logger);
    const { segments, entries } = await loadSegments(walDir, logger);

    const snapIndex = snapshot?.index ?? 0;
    const first = segments[0];
    if (first !== undefined && first.firstIndex > snapIndex + 1) {
      throw new WalCorruptionError(
        first.path,
        0,
        `log starts at index ${first.firstIndex} but the newest snapshot covers only up to ${snapIndex}: entries missing`,
      );
    }
    const wal = new Wal(
      dir,
      walDir,
      segments,
      hardStateFile,
      snapshots,
      snapIndex,
      snapshot?.term ?? 0,
      logger,
      options.segmentBytes ?? 64 * 1024 * 1024,
      options.compactionTail ?? 500,
    );
    let live = entries;
    if (snapshot !== undefined && wal.logConflictsWith(snapshot)) {
      // A crash interrupted saveSnapshot between writing the snapshot and discarding the log it replaced.
      logger.warn({ snapshotIndex: snapIndex }, 'log does not reach or disagrees with the newest snapshot; discarding it');
      await wal.removeSegmentsFrom(0);
      live = [];
    }
    logger.info(
      { snapshotIndex: snapIndex, firstIndex: wal.firstIndex, lastIndex: wal.lastIndex, segments: segments.length },
      'write-ahead log opened',
    );
    return { wal, hardState: hardStateFile.value, snapshot, entries: live.filter((e) => e.index > snapIndex) };
  }

  /** Index of the oldest entry still on disk (snapshotIndex + 1 when the log is empty). */
  get firstIndex(): number {
    return this.segments.find((s) => s.terms.length > 0)?.firstIndex ?? this.snapshotIndex + 1;
  }

  /** Index of the newest durable entry (the snapshot's index when the log is empty). */
  get lastIndex(): number {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.terms.length > 0) return lastIndexOf(s);
    }
    return this.snapshotIndex;
  }

  /** Term of a durable entry, or of the snapshot at its index; undefined when unknown. */
  termAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return this.logTermAt(index);
  }

  /** True when the log on disk cannot continue from `snap`: it ends before it or holds another term there. */
  private logConflictsWith(snap: { index: number; term: number }): boolean {
    const last = this.segments[this.segments.length - 1];
    if (last === undefined) return false;
    if (lastIndexOf(last) < snap.index) return true;
    const term = this.logTermAt(snap.index);
    return term !== undefined && term !== snap.term;
  }

  private logTermAt(index: number): number | undefined {
    const seg = this.segmentHolding(index);
    return seg?.terms[index - seg.firstIndex];
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /**
   * Appends `entries` (consecutive; the first may overwrite a conflicting suffix) and then stores
   * `hardState`, both fsynced before the promise resolves. Entries go first so a durable commit
   * index never points past the durable log.
   */
  save(hardState: Uint8Array | undefined, entries: readonly WalEntry[]): Promise<void> {
    return this.serial('save', async () => {
      if (hardState !== undefined && (hardState.length === 0 || hardState.length > MAX_HARD_STATE_BYTES)) {
        // Checked before any entry is written so bad input changes nothing.
        throw new WalUsageError(`hard state must be 1..${MAX_HARD_STATE_BYTES} bytes, got ${hardState.length}`);
      }
      if (entries.length > 0) await this.appendEntries(entries);
      if (hardState !== undefined) {
        try {
          await this.hardStateFile.save(hardState);
        } catch (err) {
          // The slot write changed nothing durable (the other slot holds the previous value).
          if (isNoSpace(err)) throw new WalNoSpaceError(this.dataDir, 'saving hard state', err);
          throw err;
        }
      }
    });
  }

  /** Discards every entry after `index`, durably (a follower's conflicting suffix). */
  truncateAfter(index: number): Promise<void> {
    return this.serial('truncateAfter', () => this.truncateAfterNow(index));
  }

  /**
   * Writes a snapshot atomically and keeps only the newest few. When the snapshot is ahead of the
   * log or disagrees with it at its index (installed from the leader), the old log is discarded.
   */
  saveSnapshot(snapshot: WalSnapshot): Promise<void> {
    return this.serial('saveSnapshot', async () => {
      this.checkSnapshotIndex(snapshot.index);
      await this.installNow(await this.snapshots.prepare(snapshot));
    });
  }

  /**
   * Writes a snapshot file under a temporary name, fsynced, outside the queue of the other calls:
   * appends go on meanwhile, so a large snapshot never holds up the log. installSnapshot then makes
   * it the newest in a short step. A full disk rejects with WalNoSpaceError and leaves nothing.
   */
  async prepareSnapshot(snapshot: WalSnapshot | WalSnapshotPieces): Promise<PreparedSnapshot> {
    if (this.closed) throw new WalUsageError('prepareSnapshot: write-ahead log is closed');
    if (this.failure) throw new Error(`prepareSnapshot: write-ahead log failed earlier: ${this.failure.message}`);
    this.checkSnapshotIndex(snapshot.index);
    return this.snapshots.prepare(snapshot);
  }

  /** Makes a prepared snapshot the newest (rename, directory fsync), in order with the other calls. */
  installSnapshot(prepared: PreparedSnapshot): Promise<void> {
    return this.serial('installSnapshot', async () => {
      this.checkSnapshotIndex(prepared.index);
      await this.installNow(prepared);
    });
  }

  /** Deletes a prepared snapshot that will not be installed (a newer one came first). */
  discardSnapshot(prepared: PreparedSnapshot): Promise<void> {
    return this.snapshots.discard(prepared);
  }

  private checkSnapshotIndex(index: number): void {
    if (index < this.snapshotIndex) {
      throw new WalUsageError(`snapshot at index ${index} is older than the saved one at ${this.snapshotIndex}`);
    }
  }

  private async installNow(prepared: PreparedSnapshot): Promise<void> {
    await this.snapshots.install(prepared);
    const stale = this.logConflictsWith(prepared);
    this.snapshotIndex = prepared.index;
    this.snapshotTerm = prepared.term;
    if (stale) {
      this.logger.info({ snapshotIndex: prepared.index }, 'snapshot does not match the local log; discarding the log');
      await this.removeSegmentsFrom(0);
    }
  }

  /**
   * Deletes segments whose entries all lie at or before `index - compactionTail`. `index` must be
   * covered by a saved snapshot. The segment being written is never deleted.
   */
  compact(index: number): Promise<void> {
    return this.serial('compact', async () => {
      if (index > this.snapshotIndex) {
        throw new WalUsageError(`cannot compact to ${index}: newest snapshot is at ${this.snapshotIndex}`);
      }
      const cutoff = index - this.compactionTail;
      let removed = 0;
      // Oldest first, so a crash part-way leaves a contiguous suffix of the log.
      while (this.segments.length > 1) {
        const oldest = this.segments[0]!;
        if (lastIndexOf(oldest) > cutoff) break;
        await unlink(oldest.path);
        this.segments.shift();
        removed++;
      }
      if (removed > 0) {
        await fsyncDir(this.walDir);
        this.logger.info({ compactedTo: cutoff, removedSegments: removed, firstIndex: this.firstIndex }, 'log compacted');
      }
    });
  }

  /** Reads durable entries in [lo, hi] from disk (e.g. for a slow follower); lo must be >= firstIndex. */
  readEntries(lo: number, hi: number): Promise<WalEntry[]> {
    return this.serial('readEntries', async () => {
      if (lo < this.firstIndex || hi > this.lastIndex || lo > hi) {
        throw new WalUsageError(`entries [${lo}, ${hi}] not on disk (have [${this.firstIndex}, ${this.lastIndex}])`);
      }
      const out: WalEntry[] = [];
      for (const seg of this.segments) {
        if (seg.terms.length === 0 || lastIndexOf(seg) < lo || seg.firstIndex > hi) continue;
        const parsed = parseSegment(await readFile(seg.path), seg.firstIndex);
        for (const e of parsed.entries) if (e.index >= lo && e.index <= hi) out.push(e);
      }
      return out;
    });
  }

  close(): Promise<void> {
    const done = this.serial('close', async () => {
      this.closed = true;
      await this.handle?.close();
      this.handle = undefined;
      await this.hardStateFile.close();
    });
    return done;
  }

  // --- internals -------------------------------------------------------------------------

  /** Runs operations one at a time; after an I/O failure the on-disk state is unknown, so all later calls fail. */
  private serial<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new WalUsageError(`${op}: write-ahead log is closed`);
      if (this.failure) throw new Error(`${op}: write-ahead log failed earlier: ${this.failure.message}`);
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof WalUsageError) && !(err instanceof WalNoSpaceError)) {
          this.failure = err as Error;
          this.logger.error({ err, op }, 'write-ahead log operation failed; refusing further writes');
        }
        throw err;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private segmentHolding(index: number): SegmentState | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (index >= s.firstIndex) return index <= lastIndexOf(s) ? s : undefined;
    }
    return undefined;
  }

  private async appendEntries(entries: readonly WalEntry[]): Promise<void> {
    const first = entries[0]!.index;
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.index !== first + i) {
        throw new WalUsageError(`entries not consecutive: index ${entries[i]!.index} follows ${entries[i - 1]!.index}`);
      }
    }
    if (first <= this.snapshotIndex) {
      throw new WalUsageError(`entry ${first} is at or before the snapshot index ${this.snapshotIndex}`);
    }
    if (first > this.lastIndex + 1) {
      throw new WalUsageError(`gap: appending entry ${first} after last index ${this.lastIndex}`);
    }
    if (first <= this.lastIndex) await this.truncateAfterNow(first - 1);
    const segmentsBefore = this.segments.length;
    const last = this.segments[segmentsBefore - 1];
    const lastBefore = last === undefined ? undefined : { size: last.size, count: last.terms.length };
    try {
      await this.writeEntries(entries, first);
    } catch (err) {
      if (!isNoSpace(err)) throw err;
      await this.rollBackAppend(segmentsBefore, lastBefore);
      throw new WalNoSpaceError(this.dataDir, `appending entries ${first}..${first + entries.length - 1}`, err);
    }
  }

  /**
   * Undoes an append that ran out of space: segments it started are deleted and the segment it
   * continued is cut back to its size before, so the log holds exactly what it held (the records
   * written so far were never acknowledged). If this fails too, the log fails for good.
   */
  private async rollBackAppend(segmentsBefore: number, lastBefore: { size: number; count: number } | undefined): Promise<void> {
    await this.removeSegmentsFrom(segmentsBefore);
    const seg = this.segments[segmentsBefore - 1];
    if (seg === undefined || lastBefore === undefined) return;
    seg.terms.length = lastBefore.count;
    seg.ends.length = lastBefore.count;
    seg.size = lastBefore.size;
    await this.handle?.close();
    this.handle = undefined;
    const handle = await open(seg.path, 'r+');
    try {
      await handle.truncate(lastBefore.size);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async writeEntries(entries: readonly WalEntry[], first: number): Promise<void> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let seg = await this.activeSegment(first);
    for (const entry of entries) {
      const rec = encodeEntryRecord(entry);
      if (seg.size + pendingBytes + rec.length > this.segmentBytes && seg.terms.length + pending.length > 0) {
        await this.writeAndSync(seg, pending);
        pending = [];
        pendingBytes = 0;
        seg = await this.startSegment(entry.index);
      }
      pending.push(rec);
      pendingBytes += rec.length;
      seg.terms.push(entry.term);
      seg.ends.push(seg.size + pendingBytes);
    }
    await this.writeAndSync(seg, pending);
  }

  private async writeAndSync(seg: SegmentState, records: Buffer[]): Promise<void> {
    const buf = records.length === 1 ? records[0]! : Buffer.concat(records);
    await writeFully(this.handle!, buf, seg.size);
    await this.handle!.datasync();
    seg.size += buf.length;
  }

  /** The segment to append `nextIndex` to, rolling over when the current one is full. */
  private async activeSegment(nextIndex: number): Promise<SegmentState> {
    const last = this.segments[this.segments.length - 1];
    if (last === undefined || last.size >= this.segmentBytes) return this.startSegment(nextIndex);
    if (this.handle === undefined) this.handle = await open(last.path, 'r+');
    return last;
  }

  private async startSegment(firstIndex: number): Promise<SegmentState> {
    await this.handle?.close();
    this.handle = undefined;
    const path = join(this.walDir, segmentFileName(firstIndex));
    const header = encodeSegmentHeader(firstIndex);
    const handle = await open(path, 'wx+', PRIVATE_FILE_MODE);
    this.handle = handle;
    try {
      await writeFully(handle, header, 0);
    } catch (err) {
      // Not a segment yet: remove the file so a retry can create it again.
      await handle.close();
      this.handle = undefined;
      await unlink(path);
      throw err;
    }
    await handle.datasync();
    await fsyncDir(this.walDir);
    const seg: SegmentState = { firstIndex, path, size: header.length, terms: [], ends: [] };
    this.segments.push(seg);
    return seg;
  }

  private async truncateAfterNow(index: number): Promise<void> {
    if (index >= this.lastIndex) return;
    if (index < this.snapshotIndex) {
      throw new WalUsageError(`cannot truncate after ${index}: entries up to ${this.snapshotIndex} are in a snapshot`);
    }
    if (index < this.firstIndex - 1) {
      throw new WalUsageError(`cannot truncate after ${index}: log starts at ${this.firstIndex}`);
    }
    // Segments that start after `index` go entirely, newest first so a crash leaves a prefix.
    let keep = this.segments.length;
    while (keep > 0 && this.segments[keep - 1]!.firstIndex > index) keep--;
    await this.removeSegmentsFrom(keep);
    const seg = this.segments[this.segments.length - 1];
    if (seg === undefined) return;
    // The remaining last segment starts at or before `index`, so it keeps at least one entry.
    const kept = index - seg.firstIndex + 1;
    const newSize = seg.ends[kept - 1]!;
    seg.terms.length = kept;
    seg.ends.length = kept;
    const handle = await open(seg.path, 'r+');
    try {
      await handle.truncate(newSize);
      await handle.sync();
    } finally {
      await handle.close();
    }
    seg.size = newSize;
    this.logger.info({ truncatedAfter: index, segment: seg.path }, 'log truncated');
  }

  /** Deletes segments[from..], newest first, and forgets them. */
  private async removeSegmentsFrom(from: number): Promise<void> {
    if (from >= this.segments.length) return;
    await this.handle?.close();
    this.handle = undefined;
    while (this.segments.length > from) {
      const seg = this.segments.pop()!;
      await unlink(seg.path);
      await fsyncDir(this.walDir);
    }
  }
}
