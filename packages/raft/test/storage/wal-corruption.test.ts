// Damages real files the way crashes and bad disks do, then checks what open() does.
import { appendFile, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalCorruptionError } from '../../src/storage/errors.js';
import { SLOT_BYTES } from '../../src/storage/hard-state-file.js';
import { encodeSnapshotFile, snapshotFileName } from '../../src/storage/snapshot-files.js';
import { Wal } from '../../src/storage/wal.js';
import { capturingLogger, entries, ENTRY_RECORD_BYTES, HEADER_RECORD_BYTES, plain, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const seg = (first: number) => join(dir, 'wal', `${first.toString(16).padStart(16, '0')}.wal`);
const entryOffset = (k: number) => HEADER_RECORD_BYTES + k * ENTRY_RECORD_BYTES; // k-th entry of a segment

/** Writes entries 1..n (three per segment with segmentBytes 140) and a hard state, then closes. */
async function populate(n: number, segmentBytes = 1 << 20): Promise<void> {
  const { wal } = await Wal.open(dir, { segmentBytes });
  await wal.save(Buffer.from('hs'), entries(1, n));
  await wal.close();
}

async function flipByte(file: string, offset: number): Promise<void> {
  const buf = await readFile(file);
  buf[offset]! ^= 0xff;
  await writeFile(file, buf);
}

async function expectCorruption(file: string, offset: number, reason: RegExp): Promise<void> {
  const err = await Wal.open(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WalCorruptionError);
  const c = err as WalCorruptionError;
  expect(c.file).toBe(file);
  expect(c.offset).toBe(offset);
  expect(c.reason).toMatch(reason);
  expect(c.message).toContain(file);
  expect(c.message).toContain(`byte offset ${offset}`);
}

describe('torn tail (crash during the last write)', () => {
  it('cuts the last record in half: truncated with a warning, earlier entries intact, appends continue', async () => {
    await populate(5);
    const file = seg(1);
    const fullSize = (await stat(file)).size;
    await truncate(file, fullSize - Math.floor(ENTRY_RECORD_BYTES / 2));
    const { logger, lines } = capturingLogger();
    const { wal, entries: got } = await Wal.open(dir, { logger });
    expect(plain(got)).toEqual(plain(entries(1, 4)));
    const warn = lines.find((l) => l.level === 40 && String(l.msg).includes('torn'));
    expect(warn).toMatchObject({ file, offset: entryOffset(4), component: 'wal' });
    expect((await stat(file)).size).toBe(entryOffset(4));
    await wal.save(undefined, entries(5, 6, 2));
    await wal.close();
    const again = await Wal.open(dir);
    expect(plain(again.entries)).toEqual(plain([...entries(1, 4), ...entries(5, 6, 2)]));
    await again.wal.close();
  });

  it('a tail shorter than a record header is torn too', async () => {
    await populate(3);
    await appendFile(seg(1), Buffer.from([7, 0, 0]));
    const { wal, entries: got } = await Wal.open(dir);
    expect(got).toHaveLength(3);
    await wal.close();
  });

  it('a zero-filled tail (size grew, data never landed) is torn', async () => {
    await populate(3);
    await appendFile(seg(1), Buffer.alloc(100));
    const { logger, lines } = capturingLogger();
    const { wal, entries: got } = await Wal.open(dir, { logger });
    expect(got).toHaveLength(3);
    expect(lines.some((l) => l.reason === 'zero-filled tail')).toBe(true);
    await wal.close();
  });

  it('a last segment torn inside its header is removed and the previous one continues', async () => {
    await populate(4, 140); // [1..3], [4]
    await truncate(seg(4), 10);
    const { wal, entries: got } = await Wal.open(dir, { segmentBytes: 140 });
    expect(plain(got)).toEqual(plain(entries(1, 3)));
    expect(await readdir(join(dir, 'wal'))).toEqual(['0000000000000001.wal']);
    await wal.close();
  });
});

describe('corruption refuses to start', () => {
  it('a flipped byte in the middle of the last segment', async () => {
    await populate(8);
    await flipByte(seg(1), entryOffset(3) + 20);
    await expectCorruption(seg(1), entryOffset(3), /CRC32C mismatch/);
  });

  it('a flipped byte in the final record when it is complete is corruption, not a torn write', async () => {
    await populate(4);
    await flipByte(seg(1), entryOffset(3) + 12);
    await expectCorruption(seg(1), entryOffset(3), /CRC32C mismatch/);
  });

  it('a bad length field mid-file', async () => {
    await populate(6);
    const file = seg(1);
    const buf = await readFile(file);
    buf.writeUInt32LE(0x7fff_ffff, entryOffset(2));
    await writeFile(file, buf);
    await expectCorruption(file, entryOffset(2), /bad record length/);
  });

  it('a length field changed to another plausible value mid-file', async () => {
    await populate(6);
    const file = seg(1);
    const buf = await readFile(file);
    buf.writeUInt32LE(ENTRY_RECORD_BYTES - 9 + 1, entryOffset(2));
    await writeFile(file, buf);
    await expectCorruption(file, entryOffset(2), /CRC32C mismatch/);
  });

  it('a corrupt segment that is not the last', async () => {
    await populate(7, 140); // [1..3], [4..6], [7]
    await flipByte(seg(4), entryOffset(1) + 30);
    await expectCorruption(seg(4), entryOffset(1), /CRC32C mismatch/);
  });

  it('a torn record in a segment that is not the last', async () => {
    await populate(7, 140);
    await truncate(seg(4), entryOffset(2) + 5);
    await expectCorruption(seg(4), entryOffset(2), /not the last/);
  });

  it('a deleted middle segment (gap in indexes)', async () => {
    await populate(9, 140); // [1..3], [4..6], [7..9]
    await unlink(seg(4));
    await expectCorruption(seg(7), 0, /gap in the log: previous segment ends at index 3, this one starts at 7/);
  });

  it('a deleted first segment without a snapshot covering it', async () => {
    await populate(6, 140);
    await unlink(seg(1));
    await expectCorruption(seg(4), 0, /entries missing/);
  });

  it('a segment renamed so its name disagrees with its header', async () => {
    await populate(3);
    const buf = await readFile(seg(1));
    await unlink(seg(1));
    await writeFile(seg(2), buf);
    await expectCorruption(seg(2), 0, /header says first index 1/);
  });

  it('a flipped byte in the newest snapshot', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save(undefined, entries(1, 4));
    await wal.saveSnapshot({ index: 3, term: 1, data: Buffer.from('some state machine bytes') });
    await wal.close();
    const snapFile = join(dir, 'snap', (await readdir(join(dir, 'snap')))[0]!);
    await flipByte(snapFile, 40);
    const err = await Wal.open(dir).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptionError);
    expect((err as WalCorruptionError).file).toBe(snapFile);
    expect((err as WalCorruptionError).reason).toMatch(/snapshot CRC32C mismatch/);
  });
});

describe('interrupted snapshot install', () => {
  it('a snapshot ahead of the log found on open (crash before the old log was dropped) discards the log', async () => {
    await populate(3);
    // What saveSnapshot leaves if the process dies right after the rename.
    await writeFile(join(dir, 'snap', snapshotFileName(50, 4)), encodeSnapshotFile({ index: 50, term: 4, data: Buffer.from('leader') }));
    const { logger, lines } = capturingLogger();
    const { wal, snapshot, entries: got } = await Wal.open(dir, { logger });
    expect(snapshot?.index).toBe(50);
    expect(got).toEqual([]);
    expect(wal.lastIndex).toBe(50);
    expect(await readdir(join(dir, 'wal'))).toEqual([]);
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('discarding'))).toBe(true);
    await wal.save(undefined, entries(51, 51, 4));
    await wal.close();
  });

  it('a snapshot whose term disagrees with the log at its index discards the log', async () => {
    await populate(6); // all term 1
    await writeFile(join(dir, 'snap', snapshotFileName(4, 3)), encodeSnapshotFile({ index: 4, term: 3, data: Buffer.from('x') }));
    const { wal, entries: got } = await Wal.open(dir);
    expect(got).toEqual([]);
    expect(wal.lastIndex).toBe(4);
    await wal.close();
  });

  it('a snapshot that agrees with the log keeps the entries after it', async () => {
    await populate(6);
    await writeFile(join(dir, 'snap', snapshotFileName(4, 1)), encodeSnapshotFile({ index: 4, term: 1, data: Buffer.from('x') }));
    const { wal, entries: got } = await Wal.open(dir);
    expect(plain(got)).toEqual(plain(entries(5, 6)));
    await wal.close();
  });
});

describe('hard state file', () => {
  it('a torn slot falls back to the other slot with a warning', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save(Buffer.from('older'), []); // seq 1 -> slot 1
    await wal.save(Buffer.from('newer'), []); // seq 2 -> slot 0
    await wal.close();
    await flipByte(join(dir, 'hardstate'), 17); // damage slot 0 (the newer write, as a crash mid-write would)
    const { logger, lines } = capturingLogger();
    const again = await Wal.open(dir, { logger });
    expect(again.hardState?.toString()).toBe('older');
    expect(lines.some((l) => l.level === 40 && l.offset === 0)).toBe(true);
    await again.wal.close();
  });

  it('both slots damaged refuses to start', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save(Buffer.from('one'), []);
    await wal.save(Buffer.from('two'), []);
    await wal.close();
    await flipByte(join(dir, 'hardstate'), 17);
    await flipByte(join(dir, 'hardstate'), SLOT_BYTES + 17);
    await expect(Wal.open(dir)).rejects.toBeInstanceOf(WalCorruptionError);
  });
});
