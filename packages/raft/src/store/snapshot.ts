// The whole store as one StoreSnapshot message (Raft snapshot payload and full re-list).
import { StoreSnapshot, type StoreObject } from '@flotilla/api';
import { wrap, unwrap } from './apply.js';
import { deepFreeze } from './freeze.js';
import { KINDS, type Kind, type StoredObject } from './kinds.js';
import { emptyState, type StoreState } from './state.js';
import { putRow, uniqueClash, type Table } from './table.js';

export function encodeStoreSnapshot(state: StoreState, kinds: readonly Kind[] = KINDS): Uint8Array {
  const objects: StoreObject[] = [];
  for (const kind of KINDS) {
    if (!kinds.includes(kind)) continue;
    (state.tables[kind] as Table<StoredObject>).primary.forEach((obj) => void objects.push(wrap(kind, obj)));
  }
  return StoreSnapshot.encode({ index: state.index, objects }).finish();
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
  return { index: snap.index, tables: tables as unknown as StoreState['tables'] };
}
