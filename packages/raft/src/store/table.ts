// One kind's rows: the primary map by id plus a persistent map per secondary index
// (index key -> the objects under that key). All operations return new tables; nothing is mutated.
import { INDEXES, type IndexDef, type Kind, type ObjectByKind } from './kinds.js';
import { PMap } from './pmap.js';

/**
 * The objects under one index key. Most keys (names, slots) hold a single object, so that case
 * stores the object itself rather than a one-entry map — about 200 bytes saved per key.
 */
export type IndexSet<T> = T | PMap<T>;

export interface Table<T> {
  readonly primary: PMap<T>;
  readonly indexes: Readonly<Record<string, PMap<IndexSet<T>>>>;
}

type Row = { id: string };

export function emptyTable<K extends Kind>(kind: K): Table<ObjectByKind[K]> {
  const indexes: Record<string, PMap<IndexSet<ObjectByKind[K]>>> = {};
  for (const name of Object.keys(INDEXES[kind])) indexes[name] = PMap.empty();
  return { primary: PMap.empty(), indexes };
}

function setWith<T extends Row>(set: IndexSet<T> | undefined, obj: T): IndexSet<T> {
  if (set === undefined) return obj;
  if (set instanceof PMap) return set.set(obj.id, obj);
  if (set.id === obj.id) return obj;
  return PMap.empty<T>().set(set.id, set).set(obj.id, obj);
}

function setWithout<T extends Row>(set: IndexSet<T>, id: string): IndexSet<T> | undefined {
  if (!(set instanceof PMap)) return set.id === id ? undefined : set;
  const next = set.delete(id);
  if (next.size === 0) return undefined;
  if (next.size === 1) return next.values().next().value as T;
  return next;
}

function addKeys<T extends Row>(idx: PMap<IndexSet<T>>, keys: readonly string[], obj: T): PMap<IndexSet<T>> {
  for (const k of keys) idx = idx.set(k, setWith(idx.get(k), obj));
  return idx;
}

function removeKeys<T extends Row>(idx: PMap<IndexSet<T>>, keys: readonly string[], id: string): PMap<IndexSet<T>> {
  for (const k of keys) {
    const set = idx.get(k);
    if (set === undefined) continue;
    const next = setWithout(set, id);
    idx = next === undefined ? idx.delete(k) : idx.set(k, next);
  }
  return idx;
}

function defsOf<T>(kind: Kind): Array<[string, IndexDef<T>]> {
  return Object.entries(INDEXES[kind] as Record<string, IndexDef<T>>);
}

/** Puts `obj` (new, or replacing `old`) into the table and every index. */
export function putRow<T extends Row>(kind: Kind, table: Table<T>, obj: T, old: T | undefined): Table<T> {
  const indexes: Record<string, PMap<IndexSet<T>>> = {};
  for (const [name, def] of defsOf<T>(kind)) {
    let idx = table.indexes[name]!;
    const newKeys = def.keys(obj);
    if (old !== undefined) idx = removeKeys(idx, def.keys(old).filter((k) => !newKeys.includes(k)), obj.id);
    // Keys that stay still point at the old object and must be refreshed.
    indexes[name] = addKeys(idx, newKeys, obj);
  }
  return { primary: table.primary.set(obj.id, obj), indexes };
}

export function deleteRow<T extends Row>(kind: Kind, table: Table<T>, old: T): Table<T> {
  const indexes: Record<string, PMap<IndexSet<T>>> = {};
  for (const [name, def] of defsOf<T>(kind)) indexes[name] = removeKeys(table.indexes[name]!, def.keys(old), old.id);
  return { primary: table.primary.delete(old.id), indexes };
}

/** Another object holding one of `obj`'s keys in a unique index, if any. */
export function uniqueClash<T extends Row>(kind: Kind, table: Table<T>, obj: T): { value: string; existingId: string } | undefined {
  for (const [name, def] of defsOf<T>(kind)) {
    if (!def.unique) continue;
    for (const key of def.keys(obj)) {
      const set = table.indexes[name]!.get(key);
      if (set === undefined) continue;
      const holders = set instanceof PMap ? set.collect([]) : [set];
      const other = holders.find((h) => h.id !== obj.id);
      if (other) return { value: key, existingId: other.id };
    }
  }
  return undefined;
}

export function lookup<T>(table: Table<T>, index: string, key: string): T[] {
  const idx = table.indexes[index];
  if (idx === undefined) throw new Error(`no index named "${index}"`);
  const set = idx.get(key);
  if (set === undefined) return [];
  return set instanceof PMap ? set.collect([]) : [set];
}
