// Which process owns a run, so leftovers of crashed runs can be told apart
// from a run that is still going on in another process.
import { openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { readProc } from './processes.js';

export interface OwnerRecord {
  pid: number;
  startTicks: number;
  /** Third octet of the run's 198.18.k.0/24. */
  subnet?: number;
}

export function currentOwner(): OwnerRecord {
  const me = readProc(process.pid);
  if (!me) throw new Error(`cannot read /proc/${process.pid}/stat to record the test-host run's owner`);
  return { pid: process.pid, startTicks: me.startTicks };
}

export function ownerAlive(owner: OwnerRecord | undefined): boolean {
  if (!owner) return false;
  const p = readProc(owner.pid);
  return p !== undefined && p.startTicks === owner.startTicks && p.state !== 'Z';
}

export function readOwner(file: string): OwnerRecord | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<OwnerRecord>;
    if (typeof value.pid !== 'number' || typeof value.startTicks !== 'number') return undefined;
    return { pid: value.pid, startTicks: value.startTicks, ...(typeof value.subnet === 'number' ? { subnet: value.subnet } : {}) };
  } catch {
    return undefined;
  }
}

/** Written atomically (rename) so a reader never sees half a record and takes a live run for a dead one. */
export function writeOwner(file: string, owner: OwnerRecord): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(owner));
  renameSync(tmp, file);
}

export interface ClaimResult {
  claimed: boolean;
  /** The run id in the claim file when someone else holds it. */
  holder?: string;
}

/** Creates `file` exclusively with `runId` in it; the kernel decides the race between parallel runs. */
export function tryClaim(file: string, runId: string): ClaimResult {
  try {
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, runId);
    } finally {
      closeSync(fd);
    }
    return { claimed: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let holder = '';
    try {
      holder = readFileSync(file, 'utf8').trim();
    } catch {
      // Released between our open and read: report it as held so the caller retries.
    }
    return { claimed: false, holder };
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}
