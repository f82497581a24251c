// The whole store as one StoreSnapshot message (Raft snapshot payload and full re-list).
import { StoreSnapshot, type StoreObject } from '@flotilla/api';
import { wrap, unwrap } from './apply.js';
import { deepFreeze } from './freeze.js';
import { KINDS, type Kind, type StoredObject } from './kinds.js';
import { emptyState, type StoreState } from './state.js';
import { requestRecords, requestRecordToWire, requestTableFromWire } from './requests.js';
import { putRow, uniqueClash, type Table } from './table.js';

export interface SnapshotContent {
  /** Only these kinds' objects (default: all). */
  kinds?: readonly Kind[];
  /** Include the table of recent transaction ids (Raft snapshots need it; re-lists do not). Default true. */
  requests?: boolean;
  /** Each object as it is written out (a service's redacted view, issue 16); default as stored. */
  transform?: (kind: Kind, obj: StoredObject) => StoredObject;
}

/** The snapshot without its objects: its index and, when asked, the request table. */
function headOf(state: StoreState, content: SnapshotContent): StoreSnapshot {
  const withRequests = content.requests ?? true;
  return {
    index: state.index,
    objects: [],
    recentRequests: withRequests ? [...requestRecords(state.requests)].map(requestRecordToWire) : [],
    requestsNewestTimestampMs: withRequests ? state.requests.newestTimestampMs : 0,
  };
}

export function encodeStoreSnapshot(state: StoreState, content: SnapshotContent = {}): Uint8Array {
  const kinds = content.kinds ?? KINDS;
  const snap = headOf(state, content);
  const out = content.transform ?? ((_kind: Kind, obj: StoredObject) => obj);
  for (const kind of KINDS) {
    if (!kinds.includes(kind)) continue;
    (state.tables[kind] as Table<StoredObject>).primary.forEach((obj) => void snap.objects.push(wrap(kind, out(kind, obj))));
  }
  return StoreSnapshot.encode(snap).finish();
}

/**
 * The same bytes as encodeStoreSnapshot, as pieces encoded in slices of at most about `sliceMs`
 * of CPU with the event loop free in between, so timers and messages keep flowing while a large
 * store is written out. Safe because a StoreState never changes: later applies make new versions.
 * Protobuf concatenation merges messages, so the pieces are the index, one encoded StoreSnapshot
 * per batch of objects, then the request table; joined, they are the one-shot encoding.
 */
export async function encodeStoreSnapshotPieces(state: StoreState, content: SnapshotContent & { sliceMs?: number } = {}): Promise<Uint8Array[]> {
  const kinds = content.kinds ?? KINDS;
  const sliceMs = content.sliceMs ?? 4;
  const out = content.transform ?? ((_kind: Kind, obj: StoredObject) => obj);
  const { recentRequests, requestsNewestTimestampMs } = headOf(state, content);
  const pieces: Uint8Array[] = [StoreSnapshot.encode({ index: state.index, objects: [], recentRequests: [], requestsNewestTimestampMs: 0 }).finish()];
  let sliceStart = performance.now();
  for (const kind of KINDS) {
    if (!kinds.includes(kind)) continue;
    const batch: StoreObject[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      pieces.push(StoreSnapshot.encode({ index: 0, objects: batch, recentRequests: [], requestsNewestTimestampMs: 0 }).finish());
      batch.length = 0;
    };
    for (const obj of (state.tables[kind] as Table<StoredObject>).primary.values()) {
      batch.push(wrap(kind, out(kind, obj)));
      if (batch.length < 256) continue;
      flush();
      if (performance.now() - sliceStart >= sliceMs) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
    flush();
  }
  // The table after the objects, in the field order of the one-shot encoding: the same bytes.
  pieces.push(StoreSnapshot.encode({ index: 0, objects: [], recentRequests, requestsNewestTimestampMs }).finish());
  return pieces;
}

export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Joins pieces into one buffer, copying about a MiB per turn of the event loop. */
export async function concatSliced(pieces: readonly Uint8Array[]): Promise<Buffer> {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  let sinceYield = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
    sinceYield += p.length;
    if (sinceYield >= 1 << 20) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  return out;
}

/** Rebuilds a state with all indexes; throws (changing nothing) when the bytes are not a consistent store. */
export function decodeStoreSnapshot(bytes: Uint8Array): StoreState {
  let snap: StoreSnapshot;
  try {
    snap = StoreSnapshot.decode(bytes);
  } catch (err) {
    throw new Error(`store snapshot does not decode: ${(err as Error).message}`);
  }
  const state = emptyState(snap.index);
  const tables = { ...(state.tables as unknown as Record<Kind, Table<StoredObject>>) };
  snap.objects.forEach((o, i) => {
    const obj = unwrap(o);
    if (obj === undefined || obj.value.id === '') throw new Error(`store snapshot object ${i} has no kind or id`);
    const table = tables[obj.kind];
    if (table.primary.has(obj.value.id)) throw new Error(`store snapshot holds ${obj.kind} ${obj.value.id} twice`);
    const frozen = deepFreeze(obj.value);
    const clash = uniqueClash(obj.kind, table, frozen);
    if (clash) throw new Error(`store snapshot: ${obj.kind} ${frozen.id} and ${clash.existingId} share the name "${clash.value}"`);
    tables[obj.kind] = putRow(obj.kind, table, frozen, undefined);
  });
  const requests = requestTableFromWire(snap.recentRequests, snap.requestsNewestTimestampMs);
  return { index: snap.index, tables: tables as unknown as StoreState['tables'], requests };
}
