// Child process for wal-crash.test.ts: appends to the WAL in a loop and reports each
// acknowledged (fsynced) index on stdout, until it is killed.
import { Wal } from '../../src/storage/wal.js';

export function entryData(index: number): Buffer {
  return Buffer.from(`entry-${index}-`.repeat(1 + (index % 7)));
}

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const { wal } = await Wal.open(dir, { segmentBytes: 4096 });
  let next = wal.lastIndex + 1;
  for (;;) {
    const batch = [];
    for (let i = 0; i < 1 + (next % 5); i++, next++) batch.push({ index: next, term: 1, data: entryData(next) });
    const last = next - 1;
    await wal.save(Buffer.from(`commit=${last}`), batch);
    process.stdout.write(`acked ${last}\n`);
  }
}

if (process.argv[1]?.endsWith('crash-writer.ts')) void main();
