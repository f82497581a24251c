// Applying one StoreTransaction to a StoreState: pure and deterministic. Same state, index and
// transaction give the same result on every member; nothing here reads a clock.
import { StoreOp, type Lease, type LeaseFence, type Meta, type StoreAction, type StoreEvent, type StoreObject, type StoreTransaction } from '@flotilla/api';
import { InvalidTransaction, LeaseLost, NameConflict, NotFound, VersionConflict, type StoreError } from './errors.js';
import { deepFreeze } from './freeze.js';
import type { Kind, StoredObject } from './kinds.js';
import type { StoreState, Tables } from './state.js';
import { deleteRow, putRow, uniqueClash, type Table } from './table.js';
import { scopedUpdate, scopedWriteRefusal } from './scopes.js';

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
  // A service identity's write (issue 16): what it may touch is checked here too, so the policy
  // holds on every member whichever one took the proposal.
  if (tx.scope !== '') {
    const refusal = scopedWriteRefusal(tx.scope, tx);
    if (refusal) return { ok: false, error: new InvalidTransaction(refusal) };
  }
  if (tx.fence !== undefined) {
    const lost = fenceRefusal(state.tables.lease.primary.get(tx.fence.leaseId), tx.fence);
    if (lost) return { ok: false, error: lost };
  }
  const tables: Record<Kind, AnyTable> = { ...(state.tables as unknown as Record<Kind, AnyTable>) };
  const events: StoreEvent[] = [];
  for (let i = 0; i < tx.actions.length; i++) {
    const result = applyAction(tables, index, tx.timestampMs, tx.actions[i]!, i, tx.scope);
    if ('error' in result) return { ok: false, error: result.error };
    events.push(result.event);
  }
  return { ok: true, state: { ...state, index, tables: tables as unknown as Tables }, events };
}

/**
 * The fence of a singleton service's write (issue 16): it applies only while the lease it names is
 * held by the same holder at the same epoch. Deterministic: the lease as of this index, no clock.
 */
export function fenceRefusal(lease: Lease | undefined, fence: LeaseFence): LeaseLost | undefined {
  if (lease !== undefined && lease.epoch === fence.epoch && lease.holder === fence.holder && lease.holder !== '') return undefined;
  return new LeaseLost(fence.leaseId, fence.epoch, lease?.epoch ?? 0, lease?.holder ?? '');
}

/**
 * What makes the epoch a fence: it never goes back, and a new holder always comes with a higher
 * one, so no two holders (or two tenures of one holder) ever share an epoch.
 */
function leaseWriteRefusal(position: number, next: Lease, current: Lease | undefined): InvalidTransaction | undefined {
  const before = current?.epoch ?? 0;
  if (next.epoch < before) return new InvalidTransaction(`action ${position}: lease ${next.id} epoch ${next.epoch} would go back from ${before}`);
  const newHolder = next.holder !== '' && next.holder !== (current?.holder ?? '');
  if (newHolder && next.epoch <= before) {
    return new InvalidTransaction(`action ${position}: lease ${next.id} taken by ${next.holder} without a new epoch (still ${next.epoch})`);
  }
  return undefined;
}

function applyAction(
  tables: Record<Kind, AnyTable>,
  index: number,
  timestampMs: number,
  action: StoreAction,
  position: number,
  scope: string,
): { event: StoreEvent } | { error: StoreError } {
  const target = unwrap(action.object);
  if (target === undefined) return { error: new InvalidTransaction(`action ${position}: no object`) };
  const { kind } = target;
  let { value } = target;
  if (value.id === '') return { error: new InvalidTransaction(`action ${position}: ${kind} without an id`) };
  const table = tables[kind];
  const current = table.primary.get(value.id);
  const leaseRefusal = () => (kind === 'lease' ? leaseWriteRefusal(position, value as Lease, current as Lease | undefined) : undefined);
  if (scope !== '' && action.op === StoreOp.STORE_OP_UPDATE && current !== undefined) value = scopedUpdate(kind, value, current);
  const meta = (m: Meta) => ({ ...value, meta: m });

  switch (action.op) {
    case StoreOp.STORE_OP_CREATE: {
      if (current !== undefined) return { error: new NameConflict(kind, value.id, 'id', value.id, value.id) };
      const badLease = leaseRefusal();
      if (badLease) return { error: badLease };
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
      const badLease = leaseRefusal();
      if (badLease) return { error: badLease };
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
