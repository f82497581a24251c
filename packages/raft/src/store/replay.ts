// Replaying change events (not transactions) onto a copy of the store: how a process that
// follows the store over the bus keeps its own indexed replica. The leader already validated
// every write, so there are no version checks here — only checks that the replica is in step.
import { StoreOp, type StoreEvent } from '@flotilla/api';
import { unwrap } from './apply.js';
import { deepFreeze } from './freeze.js';
import type { Kind, StoredObject } from './kinds.js';
import type { StoreState, Tables } from './state.js';
import { deleteRow, putRow, type Table } from './table.js';

/** The replica no longer matches the events it is given: it must list again. */
export class ReplicaDiverged extends Error {
  override readonly name = 'ReplicaDiverged';
}

export function replayEvents(state: StoreState, events: readonly StoreEvent[]): StoreState {
  const tables: Record<Kind, Table<StoredObject>> = { ...(state.tables as unknown as Record<Kind, Table<StoredObject>>) };
  let index = state.index;
  for (const ev of events) {
    if (ev.index <= state.index || ev.index < index) {
      throw new ReplicaDiverged(`event at index ${ev.index} is out of order (replica at ${state.index}, previous event at ${index})`);
    }
    index = ev.index;
    const target = unwrap(ev.object);
    if (target === undefined) throw new ReplicaDiverged(`event at index ${ev.index} carries no object`);
    const { kind, value } = target;
    const table = tables[kind];
    const current = table.primary.get(value.id);
    switch (ev.op) {
      case StoreOp.STORE_OP_CREATE:
        if (current !== undefined) throw new ReplicaDiverged(`create of ${kind} ${value.id} at ${ev.index}, but the replica has it`);
        tables[kind] = putRow(kind, table, deepFreeze(value), undefined);
        break;
      case StoreOp.STORE_OP_UPDATE:
        if (current === undefined) throw new ReplicaDiverged(`update of ${kind} ${value.id} at ${ev.index}, but the replica lacks it`);
        tables[kind] = putRow(kind, table, deepFreeze(value), current);
        break;
      case StoreOp.STORE_OP_DELETE:
        if (current === undefined) throw new ReplicaDiverged(`delete of ${kind} ${value.id} at ${ev.index}, but the replica lacks it`);
        tables[kind] = deleteRow(kind, table, current);
        break;
      default:
        throw new ReplicaDiverged(`event at index ${ev.index} has unknown op ${String(ev.op)}`);
    }
  }
  return { ...state, index, tables: tables as unknown as Tables };
}
