// WAL benchmark: fsynced save() calls per second with one entry, and entries per second in
// batches of 64 (how Raft batches under load). Prints one result line.
//   pnpm --filter @flotilla/raft exec tsx bench/wal.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal } from '../src/storage/wal.js';

const dir = await mkdtemp(join(tmpdir(), 'flotilla-wal-bench-'));
try {
  const { wal } = await Wal.open(dir, { segmentBytes: 8 * 1024 * 1024 });
  const data = Buffer.alloc(200, 7);
  let index = 0;
  const hs = (i: number) => Buffer.from(`term=1,vote=1,commit=${i}`);

  const singleStart = process.hrtime.bigint();
  const SINGLES = 500;
  for (let i = 0; i < SINGLES; i++) {
    index++;
    await wal.save(hs(index), [{ index, term: 1, data }]);
  }
  const singleSeconds = Number(process.hrtime.bigint() - singleStart) / 1e9;

  const batchStart = process.hrtime.bigint();
  const BATCHES = 200;
  for (let b = 0; b < BATCHES; b++) {
    const batch = [];
    for (let k = 0; k < 64; k++) batch.push({ index: ++index, term: 1, data });
    await wal.save(hs(index), batch);
  }
  const batchSeconds = Number(process.hrtime.bigint() - batchStart) / 1e9;
  await wal.close();

  const openStart = process.hrtime.bigint();
  const reopened = await Wal.open(dir);
  const openMs = Number(process.hrtime.bigint() - openStart) / 1e6;
  await reopened.wal.close();

  console.log(
    `wal: saves_per_s=${Math.round(SINGLES / singleSeconds)} batched_entries_per_s=${Math.round((BATCHES * 64) / batchSeconds)}` +
      ` open_ms=${openMs.toFixed(1)} (entries=${index}, 200-byte payloads, fsync on every save; ${tmpdir()})`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
