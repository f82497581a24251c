// Pure: which network DB groups this node should be in and which rows it should own there,
// from its own task records, and the writes that take the DB from what it owns to that.
import { isTerminal, TaskState, type NetworkDbEndpoint } from '@flotilla/api';
import type { TaskRecord } from '@flotilla/agent';
import { taskAttachments } from '@flotilla/agent';

/** What this node owns in the network DB. */
export interface LocalRows {
  /** Networks whose group it is in; it owns a VTEP row in each. */
  readonly groups: ReadonlySet<string>;
  readonly vtepAddr: string;
  /** Network id → task id → its endpoint row (serving tasks only). */
  readonly endpoints: ReadonlyMap<string, ReadonlyMap<string, NetworkDbEndpoint>>;
}

export type RowWrite =
  | { kind: 'join'; networkId: string }
  | { kind: 'vtep'; networkId: string; addr: string }
  | { kind: 'put'; networkId: string; endpoint: NetworkDbEndpoint }
  | { kind: 'delete'; networkId: string; taskId: string }
  | { kind: 'leave'; networkId: string };

export const NO_ROWS: LocalRows = { groups: new Set(), vtepAddr: '', endpoints: new Map() };

/**
 * A task is in the load balancers when it runs, its container is up, it is not unhealthy
 * (a task with a health check only reaches RUNNING once healthy) and nobody wants it stopped:
 * the dispatcher's rule, but seen here first, without the round trip through the managers.
 */
export function isServingLocally(rec: Readonly<TaskRecord>): boolean {
  return (
    rec.state === TaskState.TASK_STATE_RUNNING &&
    rec.running &&
    rec.health !== 'unhealthy' &&
    rec.task.desiredState === TaskState.TASK_STATE_RUNNING &&
    !rec.unassigned &&
    rec.pending !== 'stop' &&
    rec.pending !== 'remove'
  );
}

/**
 * The node is in the group of every network one of its live tasks (assigned here and not
 * finished) is attached to, plus `lbNetworks` (the ingress network while its load balancer
 * runs: every node answers on every published port), and owns one endpoint row per serving
 * task per network.
 */
export function desiredRows(records: Iterable<Readonly<TaskRecord>>, opts: { nodeId: string; vtepAddr: string; lbNetworks: Iterable<string> }): LocalRows {
  const groups = new Set<string>(opts.lbNetworks);
  const endpoints = new Map<string, Map<string, NetworkDbEndpoint>>();
  for (const rec of records) {
    if (rec.unassigned || isTerminal(rec.state)) continue;
    const attachments = taskAttachments(rec.task);
    for (const a of attachments) groups.add(a.networkId);
    if (!isServingLocally(rec)) continue;
    for (const a of attachments) {
      let rows = endpoints.get(a.networkId);
      if (!rows) endpoints.set(a.networkId, (rows = new Map()));
      rows.set(rec.task.id, { taskId: rec.task.id, serviceId: rec.task.serviceId, serviceName: rec.task.serviceName, ip: a.ip, nodeId: opts.nodeId });
    }
  }
  return { groups, vtepAddr: opts.vtepAddr, endpoints };
}

/**
 * The writes from `from` to `to`, in an order every peer can use at any point: join before
 * the VTEP, the VTEP before endpoints (a peer trusts a node's rows once its VTEP is there),
 * deletes before puts, leaves last (a leave tombstones the node's own rows by itself).
 */
export function diffRows(from: LocalRows, to: LocalRows): RowWrite[] {
  const out: RowWrite[] = [];
  const sorted = (ids: Iterable<string>) => [...ids].sort();
  for (const id of sorted(to.groups)) if (!from.groups.has(id)) out.push({ kind: 'join', networkId: id });
  for (const id of sorted(to.groups)) if (!from.groups.has(id) || from.vtepAddr !== to.vtepAddr) out.push({ kind: 'vtep', networkId: id, addr: to.vtepAddr });
  for (const id of sorted(to.groups)) {
    const had = from.groups.has(id) ? (from.endpoints.get(id) ?? new Map<string, NetworkDbEndpoint>()) : new Map<string, NetworkDbEndpoint>();
    const want = to.endpoints.get(id) ?? new Map<string, NetworkDbEndpoint>();
    for (const taskId of sorted(had.keys())) if (!want.has(taskId)) out.push({ kind: 'delete', networkId: id, taskId });
    for (const [taskId, ep] of [...want].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!sameEndpoint(had.get(taskId), ep)) out.push({ kind: 'put', networkId: id, endpoint: ep });
    }
  }
  for (const id of sorted(from.groups)) if (!to.groups.has(id)) out.push({ kind: 'leave', networkId: id });
  return out;
}

function sameEndpoint(a: NetworkDbEndpoint | undefined, b: NetworkDbEndpoint): boolean {
  return a !== undefined && a.taskId === b.taskId && a.ip === b.ip && a.serviceId === b.serviceId && a.serviceName === b.serviceName && a.nodeId === b.nodeId;
}
