// One kind's rows: the primary map by id plus a persistent map per secondary index
// (index key -> id -> object). All operations return new tables; nothing is mutated.
import { INDEXES, type IndexDef, type Kind, type ObjectByKind } from './kinds.js';
import { PMap } from './pmap.js';

export interface Table<T> {
  readonly primary: PMap<T>;
  readonly indexes: Readonly<Record<string, PMap<PMap<T>>>>;
}

export function emptyTable<K extends Kind>(kind: K): Table<ObjectByKind[K]> {
  const indexes: Record<string, PMap<PMap<ObjectByKind[K]>>> = {};
  for (const name of Object.keys(INDEXES[kind])) indexes[name] = PMap.empty();
  return { primary: PMap.empty(), indexes };
}

function addKeys<T>(idx: PMap<PMap<T>>, keys: readonly string[], id: string, obj: T): PMap<PMap<T>> {
  for (const k of keys) idx = idx.set(k, (idx.get(k) ?? PMap.empty<T>()).set(id, obj));
  return idx;
}

function removeKeys<T>(idx: PMap<PMap<T>>, keys: readonly string[], id: string): PMap<PMap<T>> {
  for (const k of keys) {
    const set = idx.get(k);
    if (set === undefined) continue;
    const next = set.delete(id);
    idx = next.size === 0 ? idx.delete(k) : idx.set(k, next);
  }
  return idx;
}

/** Puts `obj` (new or replacing `old`) into the table and every index. */
export function putRow<T extends { id: string }>(
  kind: Kind,
  table: Table<T>,
  obj: T,
  old: T | undefined,
): Table<T> {
  const defs = INDEXES[kind] as Record<string, IndexDef<T>>;
  const indexes: Record<string, PMap<PMap<T>>> = {};
  for (const [name, def] of Object.entries(defs)) {
    let idx = table.indexes[name]!;
    const newKeys = def.keys(obj);
    if (old !== undefined) {
      const oldKeys = def.keys(old);
      idx = removeKeys(idx, oldKeys.filter((k) => !newKeys.includes(k)), obj.id);
    }
    // Keys that stay still point at the old object and must be refreshed.
    indexes[name] = addKeys(idx, newKeys, obj.id, obj);
  }
  return { primary: table.primary.set(obj.id, obj), indexes };
}

export function deleteRow<T extends { id: string }>(kind: Kind, table: Table<T>, old: T): Table<T> {
  const defs = INDEXES[kind] as Record<string, IndexDef<T>>;
  const indexes: Record<string, PMap<PMap<T>>> = {};
  for (const [name, def] of Object.entries(defs)) indexes[name] = removeKeys(table.indexes[name]!, def.keys(old), old.id);
  return { primary: table.primary.delete(old.id), indexes };
}

/** The id of another object holding `obj`'s key in a unique index, if any. */
export function uniqueClash<T extends { id: string }>(kind: Kind, table: Table<T>, obj: T): { value: string; existingId: string } | undefined {
  const defs = INDEXES[kind] as Record<string, IndexDef<T>>;
  for (const [name, def] of Object.entries(defs)) {
    if (!def.unique) continue;
    for (const key of def.keys(obj)) {
      const holders = table.indexes[name]!.get(key);
      if (holders === undefined) continue;
      for (const [id] of holders.entries()) if (id !== obj.id) return { value: key, existingId: id };
    }
  }
  return undefined;
}

export function lookup<T>(table: Table<T>, index: string, key: string): T[] {
  const idx = table.indexes[index];
  if (idx === undefined) throw new Error(`no index named "${index}"`);
  return idx.get(key)?.collect([]) ?? [];
}
