import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { WalEntry } from '../../src/storage/segment-format.js';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-wal-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A real pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** Entries whose data is 10 bytes derived from the index, so record sizes are predictable (35 bytes each). */
export function entries(from: number, to: number, term = 1): WalEntry[] {
  const out: WalEntry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, data: Buffer.from(`e${String(i).padStart(9, '0')}`) });
  return out;
}

export const HEADER_RECORD_BYTES = 29;
export const ENTRY_RECORD_BYTES = 35;

export function plain(list: WalEntry[]): Array<{ index: number; term: number; data: string }> {
  return list.map((e) => ({ index: e.index, term: e.term, data: Buffer.from(e.data).toString() }));
}
