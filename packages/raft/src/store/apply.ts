// Applying one StoreTransaction to a StoreState: pure and deterministic. Same state, index and
// transaction give the same result on every member; nothing here reads a clock.
import { StoreOp, type Meta, type StoreAction, type StoreEvent, type StoreObject, type StoreTransaction } from '@flotilla/api';
import { InvalidTransaction, NameConflict, NotFound, VersionConflict, type StoreError } from './errors.js';
import { deepFreeze } from './freeze.js';
import type { Kind, StoredObject } from './kinds.js';
import type { StoreState, Tables } from './state.js';
import { deleteRow, putRow, uniqueClash, type Table } from './table.js';

export type ApplyOutcome =
  | { ok: true; state: StoreState; events: StoreEvent[] }
  | { ok: false; error: StoreError };

export function wrap(kind: Kind, value: StoredObject): StoreObject {
  return { kind: { $case: kind, value } as StoreObject['kind'] };
}

export function unwrap(obj: StoreObject | undefined): { kind: Kind; value: StoredObject } | undefined {
  const k = obj?.kind;
  return k === undefined ? undefined : { kind: k.$case, value: k.value };
}

type AnyTable = Table<StoredObject>;

export function applyTransaction(state: StoreState, index: number, tx: StoreTransaction): ApplyOutcome {
  const tables: Record<Kind, AnyTable> = { ...(state.tables as unknown as Record<Kind, AnyTable>) };
  const events: StoreEvent[] = [];
  for (let i = 0; i < tx.actions.length; i++) {
    const result = applyAction(tables, index, tx.timestampMs, tx.actions[i]!, i);
    if ('error' in result) return { ok: false, error: result.error };
    events.push(result.event);
  }
  return { ok: true, state: { ...state, index, tables: tables as unknown as Tables }, events };
}

function applyAction(
  tables: Record<Kind, AnyTable>,
  index: number,
  timestampMs: number,
  action: StoreAction,
  position: number,
): { event: StoreEvent } | { error: StoreError } {
  const target = unwrap(action.object);
  if (target === undefined) return { error: new InvalidTransaction(`action ${position}: no object`) };
  const { kind, value } = target;
  if (value.id === '') return { error: new InvalidTransaction(`action ${position}: ${kind} without an id`) };
  const table = tables[kind];
  const current = table.primary.get(value.id);
  const meta = (m: Meta) => ({ ...value, meta: m });

  switch (action.op) {
    case StoreOp.STORE_OP_CREATE: {
      if (current !== undefined) return { error: new NameConflict(kind, value.id, 'id', value.id, value.id) };
      const created = deepFreeze(meta({ version: index, createdAt: timestampMs, updatedAt: timestampMs }));
      const clash = uniqueClash(kind, table, created);
      if (clash) return { error: new NameConflict(kind, value.id, 'name', clash.value, clash.existingId) };
      tables[kind] = putRow(kind, table, created, undefined);
      return { event: { index, op: StoreOp.STORE_OP_CREATE, object: wrap(kind, created), old: undefined } };
    }
    case StoreOp.STORE_OP_UPDATE: {
      if (current === undefined) return { error: new NotFound(kind, value.id) };
      const conflict = versionConflict(kind, value, current);
      if (conflict) return { error: conflict };
      const updated = deepFreeze(meta({ version: index, createdAt: current.meta?.createdAt ?? 0, updatedAt: timestampMs }));
      const clash = uniqueClash(kind, table, updated);
      if (clash) return { error: new NameConflict(kind, value.id, 'name', clash.value, clash.existingId) };
      tables[kind] = putRow(kind, table, updated, current);
      return { event: { index, op: StoreOp.STORE_OP_UPDATE, object: wrap(kind, updated), old: wrap(kind, current) } };
    }
    case StoreOp.STORE_OP_DELETE: {
      if (current === undefined) return { error: new NotFound(kind, value.id) };
      const conflict = versionConflict(kind, value, current);
      if (conflict) return { error: conflict };
      tables[kind] = deleteRow(kind, table, current);
      return { event: { index, op: StoreOp.STORE_OP_DELETE, object: wrap(kind, current), old: wrap(kind, current) } };
    }
    default:
      return { error: new InvalidTransaction(`action ${position}: unknown op ${String(action.op)}`) };
  }
}

function versionConflict(kind: Kind, written: StoredObject, current: StoredObject): VersionConflict | undefined {
  const expected = written.meta?.version ?? 0;
  const actual = current.meta?.version ?? 0;
  return expected === actual ? undefined : new VersionConflict(kind, written.id, expected, actual);
}
