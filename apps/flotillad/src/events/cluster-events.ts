import { StoreOp, type ClusterEvent, type StoreEvent, type StoreObject } from '@flotilla/api';
import { invalidArgument } from '../control/control-error.js';

export const EVENT_TYPES = ['service', 'node', 'task', 'network', 'cluster', 'secret', 'config', 'plugin'] as const;
export const EVENT_ACTIONS = ['create', 'update', 'remove'] as const;

export interface EventFilter {
  types: ReadonlySet<string>;
  actions: ReadonlySet<string>;
}

/** Checks `--filter type=`/`event=` values; bad ones are refused by name. */
export function eventFilter(types: readonly string[], actions: readonly string[]): EventFilter {
  for (const t of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(t)) throw invalidArgument(`invalid filter type=${t}: expected one of ${EVENT_TYPES.join(', ')}`);
  }
  for (const a of actions) {
    if (!(EVENT_ACTIONS as readonly string[]).includes(a)) throw invalidArgument(`invalid filter event=${a}: expected one of ${EVENT_ACTIONS.join(', ')}`);
  }
  return { types: new Set(types), actions: new Set(actions) };
}

export function matches(filter: EventFilter, e: ClusterEvent): boolean {
  return (filter.types.size === 0 || filter.types.has(e.type)) && (filter.actions.size === 0 || filter.actions.has(e.action));
}

const ACTION: Record<StoreOp, string> = {
  [StoreOp.STORE_OP_CREATE]: 'create',
  [StoreOp.STORE_OP_UPDATE]: 'update',
  [StoreOp.STORE_OP_DELETE]: 'remove',
  [StoreOp.UNRECOGNIZED]: 'unknown',
};

/** "UPDATE_STATE_ROLLBACK_STARTED" → "rollback_started": docker's lower-case words. */
function word(value: string | undefined, prefix: string): string {
  return (value ?? '').replace(prefix, '').toLowerCase();
}

type Attrs = Record<string, string>;

function changed(attrs: Attrs, key: string, oldValue: string, newValue: string): void {
  if (oldValue === newValue) return;
  if (oldValue !== '') attrs[`${key}.old`] = oldValue;
  attrs[`${key}.new`] = newValue;
}

function describe(obj: StoreObject | undefined, old: StoreObject | undefined): { type: string; id: string; attrs: Attrs; timeMs: number } | undefined {
  const kind = obj?.kind;
  if (!kind) return undefined;
  const attrs: Attrs = {};
  switch (kind.$case) {
    case 'service': {
      const s = kind.value;
      const o = old?.kind?.$case === 'service' ? old.kind.value : undefined;
      attrs['name'] = s.spec?.annotations?.name ?? '';
      if (o) {
        changed(attrs, 'updatestate', word(o.updateStatus?.state, 'UPDATE_STATE_').replace('unknown', ''), word(s.updateStatus?.state, 'UPDATE_STATE_').replace('unknown', ''));
        changed(attrs, 'replicas', String(o.spec?.replicas ?? ''), String(s.spec?.replicas ?? ''));
        changed(attrs, 'image', o.spec?.task?.container?.image ?? '', s.spec?.task?.container?.image ?? '');
      }
      return { type: 'service', id: s.id, attrs, timeMs: s.meta?.updatedAt ?? 0 };
    }
    case 'node': {
      const n = kind.value;
      const o = old?.kind?.$case === 'node' ? old.kind.value : undefined;
      attrs['name'] = n.description?.hostname ?? '';
      if (o) {
        changed(attrs, 'state', word(o.status?.state, 'NODE_STATE_'), word(n.status?.state, 'NODE_STATE_'));
        changed(attrs, 'availability', word(o.spec?.availability, 'NODE_AVAILABILITY_'), word(n.spec?.availability, 'NODE_AVAILABILITY_'));
        changed(attrs, 'role', word(o.role, 'NODE_ROLE_'), word(n.role, 'NODE_ROLE_'));
      }
      return { type: 'node', id: n.id, attrs, timeMs: n.meta?.updatedAt ?? 0 };
    }
    case 'task': {
      const t = kind.value;
      const o = old?.kind?.$case === 'task' ? old.kind.value : undefined;
      attrs['service'] = t.serviceName;
      if (t.slot) attrs['slot'] = String(t.slot);
      if (t.nodeId) attrs['node'] = t.nodeId;
      changed(attrs, 'state', o ? word(o.status?.state, 'TASK_STATE_') : '', word(t.status?.state, 'TASK_STATE_'));
      changed(attrs, 'desiredstate', o ? word(o.desiredState, 'TASK_STATE_') : '', word(t.desiredState, 'TASK_STATE_'));
      if (t.status?.err && t.status.err !== (o?.status?.err ?? '')) attrs['err'] = t.status.err;
      return { type: 'task', id: t.id, attrs, timeMs: t.meta?.updatedAt ?? 0 };
    }
    case 'lease':
      // Leases of the manager services (issue 16) are the services' own business: a process holder
      // renews every second or so, which would drown what the user watches. `info` shows them.
      return undefined;
    default: {
      // network, cluster, secret and kinds added later: their name and when they last changed.
      const v = kind.value as { id?: string; spec?: { annotations?: { name?: string }; name?: string }; meta?: { updatedAt?: number } };
      attrs['name'] = v.spec?.annotations?.name ?? v.spec?.name ?? '';
      return { type: kind.$case, id: v.id ?? '', attrs, timeMs: v.meta?.updatedAt ?? 0 };
    }
  }
}

/**
 * A store change as the user reads it: type, action, id and the attributes that say what
 * changed. Creates and updates carry the time of their transaction (the object's updated_at);
 * a removal carries only the removed object's last state, so its time is `removedAtMs`, which
 * the caller knows (now for a live event; the latest time seen before it for a replayed one).
 */
export function clusterEventOf(ev: StoreEvent, removedAtMs: number): ClusterEvent | undefined {
  const d = describe(ev.object, ev.old);
  if (!d) return undefined;
  const sorted: Attrs = {};
  for (const k of Object.keys(d.attrs).sort()) sorted[k] = d.attrs[k]!;
  return {
    type: d.type,
    action: ACTION[ev.op] ?? 'unknown',
    id: d.id,
    attributes: sorted,
    timeUnixMs: ev.op === StoreOp.STORE_OP_DELETE || d.timeMs === 0 ? removedAtMs : d.timeMs,
    index: ev.index,
  };
}
