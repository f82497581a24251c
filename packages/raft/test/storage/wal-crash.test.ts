// Kills a real writer process with SIGKILL at arbitrary points and checks that every
// acknowledged entry is there after reopening, with nothing skipped or invented.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Wal } from '../../src/storage/wal.js';
import { entryData } from './crash-writer.js';
import { tempDir } from './helpers.js';

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
let dir: string;
let cleanup: () => Promise<void>;
let child: ChildProcess | undefined;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  await cleanup();
});

/** Runs the writer until it has acknowledged more than `atLeast` entries, then SIGKILLs it. */
function runAndKill(atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let acked = 0;
    let buffered = '';
    let stderr = '';
    const deadline = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`writer acknowledged only ${acked} entries before the deadline; stderr: ${stderr}`));
    }, 30_000);
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) acked = Math.max(acked, Number(l.split(' ')[1]));
      if (acked >= atLeast && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

describe('WAL under kill -9', () => {
  it('keeps every acknowledged entry across repeated kills and reopens', async () => {
    let expectedAtLeast = 0;
    for (let round = 1; round <= 4; round++) {
      const acked = await runAndKill(expectedAtLeast + 150);
      expect(acked).toBeGreaterThan(expectedAtLeast);
      const { wal, entries, hardState } = await Wal.open(dir, { segmentBytes: 4096 });
      try {
        expect(wal.lastIndex).toBeGreaterThanOrEqual(acked);
        expect(entries.length).toBe(wal.lastIndex);
        entries.forEach((e, i) => {
          expect(e.index).toBe(i + 1);
          expect(Buffer.from(e.data).equals(entryData(e.index))).toBe(true);
        });
        const commit = Number(hardState!.toString().split('=')[1]);
        expect(commit).toBeGreaterThanOrEqual(acked);
        expect(commit).toBeLessThanOrEqual(wal.lastIndex);
        expect(wal.segmentCount).toBeGreaterThan(1);
        expectedAtLeast = wal.lastIndex;
      } finally {
        await wal.close();
      }
    }
  });
});
