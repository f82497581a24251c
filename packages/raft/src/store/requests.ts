// The replicated table of recent transaction ids and their outcomes: what makes a retried write
// apply once. Part of every StoreState, so it is changed only by apply (in log order, on every
// member alike), carried in Raft snapshots and restored from them. Pure and deterministic: eviction
// counts records and compares the transactions' own timestamps, never the applier's clock.
import { createHash } from 'node:crypto';
import type { StoreRequestRecord } from '@flotilla/api';
import { PMap } from './pmap.js';
import type { StoreErrorCode } from './errors.js';

export interface RequestRecord {
  readonly id: string;
  /** Hex digest of the transaction bytes: the same id with other content is a caller's mistake. */
  readonly digest: string;
  /** Raft index where the transaction was applied (or refused). */
  readonly index: number;
  readonly timestampMs: number;
  /** The store's refusal, when it was refused. */
  readonly error?: { readonly code: StoreErrorCode; readonly message: string };
}

export interface RequestTable {
  readonly byId: PMap<RequestRecord>;
  /** Insertion order: sequence number (base 36) -> id; eviction takes the oldest. */
  readonly bySeq: PMap<string>;
  readonly firstSeq: number;
  readonly nextSeq: number;
  /** Largest transaction timestamp seen; age-based eviction counts back from it. */
  readonly newestTimestampMs: number;
}

/**
 * How long ids are remembered. Constants, not options: every member must evict the same records at
 * the same index, or a retry could be applied on one member and refused as a duplicate on another.
 * A record goes once it is older than `maxAgeMs` (by transaction timestamps) and more than
 * `minRecords` are kept, or when more than `maxRecords` are kept. Five minutes covers every
 * caller's overall deadline (seconds) many times over, including clock skew between proposers.
 */
export const REQUEST_RETENTION = Object.freeze({ maxRecords: 20_000, minRecords: 1_000, maxAgeMs: 5 * 60_000 });

export function emptyRequests(): RequestTable {
  return { byId: PMap.empty(), bySeq: PMap.empty(), firstSeq: 0, nextSeq: 0, newestTimestampMs: 0 };
}

export function requestDigest(txBytes: Uint8Array): string {
  return createHash('sha256').update(txBytes).digest('hex').slice(0, 32);
}

export function lookupRequest(t: RequestTable, id: string): RequestRecord | undefined {
  return id === '' ? undefined : t.byId.get(id);
}

/** Adds the outcome of a newly applied transaction, then evicts what the retention rules say. */
export function recordRequest(t: RequestTable, rec: RequestRecord): RequestTable {
  const seq = t.nextSeq;
  let next: RequestTable = {
    byId: t.byId.set(rec.id, rec),
    bySeq: t.bySeq.set(seq.toString(36), rec.id),
    firstSeq: t.firstSeq,
    nextSeq: seq + 1,
    newestTimestampMs: Math.max(t.newestTimestampMs, rec.timestampMs),
  };
  while (next.byId.size > 0 && mustEvictOldest(next)) next = evictOldest(next);
  return next;
}

function oldest(t: RequestTable): RequestRecord {
  const id = t.bySeq.get(t.firstSeq.toString(36));
  const rec = id === undefined ? undefined : t.byId.get(id);
  if (rec === undefined) throw new Error(`request table: no record at sequence ${t.firstSeq}`);
  return rec;
}

function mustEvictOldest(t: RequestTable): boolean {
  const size = t.byId.size;
  if (size > REQUEST_RETENTION.maxRecords) return true;
  return size > REQUEST_RETENTION.minRecords && oldest(t).timestampMs < t.newestTimestampMs - REQUEST_RETENTION.maxAgeMs;
}

function evictOldest(t: RequestTable): RequestTable {
  const rec = oldest(t);
  return {
    byId: t.byId.delete(rec.id),
    bySeq: t.bySeq.delete(t.firstSeq.toString(36)),
    firstSeq: t.firstSeq + 1,
    nextSeq: t.nextSeq,
    newestTimestampMs: t.newestTimestampMs,
  };
}

/** Every record, oldest first (the order eviction follows, kept across snapshot and restore). */
export function* requestRecords(t: RequestTable): Generator<RequestRecord> {
  for (let seq = t.firstSeq; seq < t.nextSeq; seq++) {
    const id = t.bySeq.get(seq.toString(36));
    const rec = id === undefined ? undefined : t.byId.get(id);
    if (rec !== undefined) yield rec;
  }
}

export function requestRecordToWire(r: RequestRecord): StoreRequestRecord {
  return {
    id: r.id,
    digest: Buffer.from(r.digest, 'hex'),
    index: r.index,
    timestampMs: r.timestampMs,
    errorCode: r.error?.code ?? '',
    errorMessage: r.error?.message ?? '',
  };
}

const ERROR_CODES: readonly string[] = ['VersionConflict', 'NameConflict', 'NotFound', 'InvalidTransaction', 'LeaseLost'] satisfies StoreErrorCode[];

/** Rebuilds the table from a snapshot's records (oldest first); throws on a record that cannot be one. */
export function requestTableFromWire(records: readonly StoreRequestRecord[], newestTimestampMs: number): RequestTable {
  let byId = PMap.empty<RequestRecord>();
  let bySeq = PMap.empty<string>();
  records.forEach((w, seq) => {
    if (w.id === '') throw new Error(`store snapshot request record ${seq} has no id`);
    if (byId.has(w.id)) throw new Error(`store snapshot holds request ${w.id} twice`);
    if (w.errorCode !== '' && !ERROR_CODES.includes(w.errorCode)) throw new Error(`store snapshot request ${w.id}: unknown error code "${w.errorCode}"`);
    const rec: RequestRecord = {
      id: w.id,
      digest: Buffer.from(w.digest).toString('hex'),
      index: w.index,
      timestampMs: w.timestampMs,
      ...(w.errorCode !== '' ? { error: { code: w.errorCode as StoreErrorCode, message: w.errorMessage } } : {}),
    };
    byId = byId.set(w.id, Object.freeze(rec));
    bySeq = bySeq.set(seq.toString(36), w.id);
  });
  return { byId, bySeq, firstSeq: 0, nextSeq: records.length, newestTimestampMs };
}
