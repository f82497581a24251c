import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalUsageError } from '../../src/storage/errors.js';
import { Wal } from '../../src/storage/wal.js';
import { capturingLogger, entries, ENTRY_RECORD_BYTES, HEADER_RECORD_BYTES, plain, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
const open: Wal[] = [];
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const w of open.splice(0)) await w.close().catch(() => undefined);
  await cleanup();
});

async function openWal(opts: Parameters<typeof Wal.open>[1] = {}) {
  const res = await Wal.open(dir, opts);
  open.push(res.wal);
  return res;
}
const hs = (s: string) => Buffer.from(s);

describe('Wal basics', () => {
  it('every file it writes is 0600 and every folder 0700, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const { wal } = await openWal({ segmentBytes: 512 });
      await wal.save(hs('term=1'), entries(1, 20));
      await wal.saveSnapshot({ index: 10, term: 1, data: hs('state@10') });
      await wal.close();
    } finally {
      process.umask(old);
    }
    const modes: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        const mode = (await stat(p)).mode & 0o777;
        modes.push(`${e.isDirectory() ? 'dir' : 'file'} ${mode.toString(8)}`);
        if (e.isDirectory()) await walk(p);
      }
    };
    await walk(dir);
    expect(modes.length).toBeGreaterThan(4);
    expect(new Set(modes)).toEqual(new Set(['dir 700', 'file 600']));
  });

  it('opens an empty directory with no state', async () => {
    const { wal, hardState, snapshot, entries: got } = await openWal();
    expect(hardState).toBeUndefined();
    expect(snapshot).toBeUndefined();
    expect(got).toEqual([]);
    expect(wal.lastIndex).toBe(0);
  });

  it('returns saved entries and the newest hard state after reopening', async () => {
    const { wal } = await openWal();
    await wal.save(hs('term=1'), entries(1, 5));
    await wal.save(hs('term=2;vote=b'), entries(6, 8, 2));
    await wal.close();
    const again = await openWal();
    expect(again.hardState?.toString()).toBe('term=2;vote=b');
    expect(plain(again.entries)).toEqual(plain([...entries(1, 5), ...entries(6, 8, 2)]));
    expect(again.wal.lastIndex).toBe(8);
    expect(again.wal.termAt(7)).toBe(2);
  });

  it('keeps the newest of many hard state writes (slots alternate)', async () => {
    const { wal } = await openWal();
    for (let i = 1; i <= 7; i++) await wal.save(hs(`hs-${i}`), []);
    await wal.close();
    expect((await openWal()).hardState?.toString()).toBe('hs-7');
  });

  it('rolls segments at the size bound and names each by its first index', async () => {
    // header 29 + 3 entries of 35 = 134 <= 140 < 169: three entries per segment
    const { wal } = await openWal({ segmentBytes: 140 });
    await wal.save(undefined, entries(1, 5));
    await wal.save(undefined, entries(6, 7));
    const names = (await readdir(join(dir, 'wal'))).sort();
    expect(names).toEqual(['0000000000000001.wal', '0000000000000004.wal', '0000000000000007.wal']);
    for (const n of names) expect((await stat(join(dir, 'wal', n))).size).toBeLessThanOrEqual(140);
    await wal.close();
    const again = await openWal({ segmentBytes: 140 });
    expect(plain(again.entries)).toEqual(plain(entries(1, 7)));
  });

  it('rejects a gap or a non-consecutive batch and changes nothing', async () => {
    const { wal } = await openWal();
    await wal.save(hs('a'), entries(1, 3));
    await expect(wal.save(hs('b'), entries(5, 6))).rejects.toBeInstanceOf(WalUsageError);
    await expect(wal.save(hs('b'), [...entries(4, 4), ...entries(6, 6)])).rejects.toBeInstanceOf(WalUsageError);
    expect(wal.lastIndex).toBe(3);
    await wal.save(undefined, entries(4, 4)); // still usable after bad input
    await wal.close();
    const again = await openWal();
    expect(again.hardState?.toString()).toBe('a');
    expect(plain(again.entries)).toEqual(plain(entries(1, 4)));
  });
});

describe('Wal concurrency', () => {
  it('calls made without awaiting run one at a time, in call order', async () => {
    const { wal } = await openWal({ segmentBytes: 140 });
    const calls = [];
    for (let i = 1; i <= 30; i++) calls.push(wal.save(hs(`hs-${i}`), entries(i, i)));
    calls.push(wal.truncateAfter(20));
    calls.push(wal.save(hs('last'), entries(21, 22, 2)));
    await Promise.all(calls);
    await wal.close();
    const again = await openWal({ segmentBytes: 140 });
    expect(plain(again.entries)).toEqual(plain([...entries(1, 20), ...entries(21, 22, 2)]));
    expect(again.hardState?.toString()).toBe('last');
  });

  it('a closed WAL refuses calls', async () => {
    const { wal } = await openWal();
    await wal.close();
    await expect(wal.save(hs('x'), entries(1, 1))).rejects.toThrow(/closed/);
  });
});

describe('Wal truncation', () => {
  it('truncateAfter discards later entries durably, across segments', async () => {
    const { wal } = await openWal({ segmentBytes: 140 });
    await wal.save(hs('x'), entries(1, 9));
    await wal.truncateAfter(2);
    expect(wal.lastIndex).toBe(2);
    expect((await readdir(join(dir, 'wal'))).sort()).toEqual(['0000000000000001.wal']);
    await wal.save(undefined, entries(3, 4, 5));
    await wal.close();
    const again = await openWal({ segmentBytes: 140 });
    expect(plain(again.entries)).toEqual(plain([...entries(1, 2), ...entries(3, 4, 5)]));
    expect(again.hardState?.toString()).toBe('x'); // truncation never touches the vote
  });

  it('an append that starts inside the log replaces the conflicting suffix', async () => {
    const { wal } = await openWal();
    await wal.save(undefined, entries(1, 6, 1));
    await wal.save(undefined, entries(4, 5, 3));
    expect(wal.lastIndex).toBe(5);
    await wal.close();
    const again = await openWal();
    expect(plain(again.entries)).toEqual(plain([...entries(1, 3, 1), ...entries(4, 5, 3)]));
  });

  it('refuses to truncate into a snapshot', async () => {
    const { wal } = await openWal();
    await wal.save(undefined, entries(1, 6));
    await wal.saveSnapshot({ index: 4, term: 1, data: hs('state@4') });
    await expect(wal.truncateAfter(3)).rejects.toBeInstanceOf(WalUsageError);
    expect(wal.lastIndex).toBe(6);
  });
});

describe('Wal snapshots and compaction', () => {
  it('writes snapshots atomically, keeps the newest K and returns entries after the newest', async () => {
    const { wal } = await openWal({ keepSnapshots: 2 });
    await wal.save(undefined, entries(1, 10));
    for (const i of [3, 6, 9]) await wal.saveSnapshot({ index: i, term: 1, data: hs(`state@${i}`) });
    const files = (await readdir(join(dir, 'snap'))).sort();
    expect(files).toHaveLength(2);
    expect(files[1]).toMatch(/^0000000000000009-/);
    await wal.close();
    const again = await openWal();
    expect(again.snapshot?.index).toBe(9);
    expect(Buffer.from(again.snapshot!.data).toString()).toBe('state@9');
    expect(plain(again.entries)).toEqual(plain(entries(10, 10)));
  });

  it('compaction deletes only segments wholly before index - tail and never the active one', async () => {
    const { wal } = await openWal({ segmentBytes: 140, compactionTail: 3 });
    await wal.save(undefined, entries(1, 12)); // segments start at 1,4,7,10
    await wal.saveSnapshot({ index: 11, term: 1, data: hs('s11') });
    await wal.compact(11); // cutoff 8: segments [1..3], [4..6] go; [7..9] holds 7,8 for slow followers
    expect((await readdir(join(dir, 'wal'))).sort()).toEqual(['0000000000000007.wal', '000000000000000a.wal']);
    expect(wal.firstIndex).toBe(7);
    expect(plain(await wal.readEntries(7, 9))).toEqual(plain(entries(7, 9)));
    await expect(wal.compact(12)).rejects.toBeInstanceOf(WalUsageError);
    await wal.close();
    const again = await openWal({ segmentBytes: 140 });
    expect(again.snapshot?.index).toBe(11);
    expect(plain(again.entries)).toEqual(plain(entries(12, 12)));
    await again.wal.save(undefined, entries(13, 13));
  });

  it('a snapshot installed beyond the log discards the log and appends continue after it', async () => {
    const { wal } = await openWal();
    await wal.save(undefined, entries(1, 3));
    await wal.saveSnapshot({ index: 50, term: 4, data: hs('leader-state') });
    expect(wal.lastIndex).toBe(50);
    await wal.save(undefined, entries(51, 52, 4));
    await wal.close();
    const again = await openWal();
    expect(again.snapshot?.index).toBe(50);
    expect(plain(again.entries)).toEqual(plain(entries(51, 52, 4)));
  });

  it('removes a snapshot temp file left by a crash, with a warning', async () => {
    const { wal } = await openWal();
    await wal.close();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'snap', '0000000000000005-0000000000000001.snap.tmp'), 'half');
    const { logger, lines } = capturingLogger();
    const again = await openWal({ logger });
    expect(again.snapshot).toBeUndefined();
    expect(await readdir(join(dir, 'snap'))).toEqual([]);
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('temp file'))).toBe(true);
  });
});

describe('Wal on-disk layout', () => {
  it('frames each entry as header + payload with predictable sizes', async () => {
    const { wal } = await openWal();
    await wal.save(undefined, entries(1, 4));
    const buf = await readFile(join(dir, 'wal', '0000000000000001.wal'));
    expect(buf.length).toBe(HEADER_RECORD_BYTES + 4 * ENTRY_RECORD_BYTES);
  });
});

describe('Wal bad input', () => {
  it('refuses an empty or oversized hard state and keeps the previous one', async () => {
    const { wal } = await openWal();
    await wal.save(hs('good'), []);
    await expect(wal.save(Buffer.alloc(0), [])).rejects.toBeInstanceOf(WalUsageError);
    await expect(wal.save(Buffer.alloc(1000, 1), entries(1, 2))).rejects.toBeInstanceOf(WalUsageError);
    expect(wal.lastIndex).toBe(0); // the entries of the refused call were not written either
    await wal.close();
    const again = await openWal();
    expect(again.hardState?.toString()).toBe('good');
    expect(again.entries).toEqual([]);
  });

  it('refuses to snapshot behind the saved snapshot', async () => {
    const { wal } = await openWal();
    await wal.save(undefined, entries(1, 5));
    await wal.saveSnapshot({ index: 4, term: 1, data: hs('s4') });
    await expect(wal.saveSnapshot({ index: 3, term: 1, data: hs('s3') })).rejects.toBeInstanceOf(WalUsageError);
    expect(wal.lastIndex).toBe(5);
  });
});

describe('Wal directory creation', () => {
  it('creates a missing data directory (and its parents)', async () => {
    const nested = join(dir, 'a', 'b', 'data');
    const { wal } = await Wal.open(nested);
    await wal.save(hs('h'), entries(1, 1));
    await wal.close();
    expect((await readdir(nested)).sort()).toEqual(['hardstate', 'snap', 'wal']);
  });
});
