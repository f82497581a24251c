// What a manager service running as its own process (issue 16) may read from and write to the
// store. The store service answers such a process on its own subjects (NATS permissions let a
// service identity publish only there), with every object passed through `redact` first, and
// accepts only the writes `checkScopedTransaction` allows; apply checks them again, on every
// member alike, so the policy holds whichever member took the proposal. Pure.
import { isManagerServiceName, isSingletonService, type Cluster, type ManagerServiceName, type Secret, type StoreTransaction } from '@flotilla/api';
import { unwrap, wrap } from './apply.js';
import type { Kind, StoredObject } from './kinds.js';

export type ServiceScope = ManagerServiceName;

/** Kinds each scope may create, update or delete. */
const WRITES: Record<ServiceScope, readonly Kind[]> = {
  scheduler: ['task', 'lease'],
  orchestrator: ['task', 'service', 'lease'],
  allocator: ['task', 'service', 'network', 'lease'],
  // Task statuses and node states from the agents; the gossip keyring it rotates (Cluster).
  dispatcher: ['task', 'node', 'cluster', 'lease'],
  // The CA signer only signs: it reads the root CA and writes nothing.
  ca: [],
};

export function isServiceScope(scope: string): scope is ServiceScope {
  return isManagerServiceName(scope);
}

/**
 * An object as a scope sees it. Nobody outside the managers sees join tokens or sealed secret
 * values (the dispatcher asks a manager for the values of one task's secrets); only the CA signer
 * sees the root CA keys; only the dispatcher sees the gossip keyring, which it hands to every node.
 */
export function redact<K extends Kind>(scope: ServiceScope, kind: K, obj: StoredObject): StoredObject {
  if (kind === 'cluster') return redactCluster(scope, obj as Cluster);
  if (kind === 'secret') {
    const s = obj as Secret;
    return s.sealed === undefined ? s : { ...s, sealed: undefined };
  }
  return obj;
}

function redactCluster(scope: ServiceScope, c: Cluster): Cluster {
  const ca = scope === 'ca';
  const rootCa = c.rootCa && {
    ...c.rootCa,
    caKey: ca ? c.rootCa.caKey : Buffer.alloc(0),
    joinTokens: { worker: '', manager: '', service: '' },
    rotation: c.rootCa.rotation && {
      ...c.rootCa.rotation,
      caKey: ca ? c.rootCa.rotation.caKey : Buffer.alloc(0),
      oldCaKey: ca ? c.rootCa.rotation.oldCaKey : Buffer.alloc(0),
    },
  };
  return { ...c, rootCa, gossipKeys: scope === 'dispatcher' ? c.gossipKeys : [] };
}

/** A StoreEvent's or snapshot's wrapped object as `scope` sees it. */
export function redactWrapped<T extends { kind?: unknown } | undefined>(scope: ServiceScope, obj: T): T {
  const u = unwrap(obj as never);
  if (u === undefined) return obj;
  return wrap(u.kind, redact(scope, u.kind, u.value)) as T;
}

/**
 * Why `scope` may not propose `tx`, or undefined when it may. A singleton's writes must be fenced
 * by its own lease, except the writes of that lease itself (taking, renewing, releasing it).
 */
export function scopedWriteRefusal(scope: string, tx: StoreTransaction): string | undefined {
  if (!isServiceScope(scope)) return `unknown service scope "${scope}"`;
  const allowed = WRITES[scope];
  let onlyOwnLease = tx.actions.length > 0;
  for (const [i, action] of tx.actions.entries()) {
    const target = unwrap(action.object);
    if (target === undefined) return `action ${i}: no object`;
    if (!allowed.includes(target.kind)) return `the ${scope} service may not write ${target.kind} objects (action ${i}, ${target.kind} ${target.value.id})`;
    if (target.kind === 'lease' && target.value.id !== scope) return `the ${scope} service may write only its own lease, not lease ${target.value.id}`;
    if (target.kind !== 'lease') onlyOwnLease = false;
  }
  if (isSingletonService(scope) && !onlyOwnLease && tx.fence?.leaseId !== scope) {
    return `a write of the ${scope} service must carry the fence of lease ${scope} (it acts only while holding it)`;
  }
  return undefined;
}

/**
 * The object a scoped UPDATE stores. The scope wrote back what it could see, so whatever it could
 * not see keeps its stored value: of a Cluster only the gossip keyring (the dispatcher's) changes,
 * a Secret keeps its sealed value.
 */
export function scopedUpdate(kind: Kind, written: StoredObject, current: StoredObject): StoredObject {
  if (kind === 'cluster') return { ...(current as Cluster), meta: written.meta, gossipKeys: (written as Cluster).gossipKeys };
  if (kind === 'secret') return { ...(written as Secret), sealed: (current as Secret).sealed };
  return written;
}
