import { KINDS, type Kind, type ObjectByKind } from './kinds.js';
import { emptyRequests, type RequestTable } from './requests.js';
import { emptyTable, type Table } from './table.js';

export type Tables = { readonly [K in Kind]: Table<ObjectByKind[K]> };

/** One immutable version of the whole store: every table at the Raft index of the last applied entry. */
export interface StoreState {
  readonly index: number;
  readonly tables: Tables;
  /** Recent transaction ids and their outcomes (exactly-once writes). */
  readonly requests: RequestTable;
}

export function emptyState(index = 0): StoreState {
  const tables = {} as { [K in Kind]: Table<ObjectByKind[K]> };
  for (const k of KINDS) (tables as Record<Kind, unknown>)[k] = emptyTable(k);
  return { index, tables, requests: emptyRequests() };
}
