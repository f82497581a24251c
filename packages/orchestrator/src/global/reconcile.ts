import {
  NodeAvailability,
  NodeState,
  ServiceMode,
  type Node,
  type Service,
  type Task,
} from '@flotilla/api';
import { shutdown, type Action } from '../actions.js';
import { newTask } from '../new-task.js';
import { isLive, isRunning } from '../slots.js';

export interface GlobalInput {
  service: Service;
  /** Every task of this service (any state); tasks of other services are ignored. */
  tasks: readonly Task[];
  nodes: readonly Node[];
  /**
   * Whether the service's placement constraints hold on the node. The edge
   * wires in the scheduler's evaluator (a service package may not import
   * another), e.g. `(n) => matchesConstraints(parseConstraints(exprs), n)`.
   */
  isEligible: (node: Node) => boolean;
  now: number;
  newId?: () => string;
}

/** What a node may carry for a global service. */
export type NodeFit = 'new-tasks' | 'keep-existing' | 'none';

/**
 * One live task of the service on every eligible node.
 *
 * - READY, ACTIVE nodes that meet the constraints get a task if they have none;
 *   it is created already assigned (nodeId set), state NEW.
 * - Paused, or not-ready-but-not-down nodes (UNKNOWN, DISCONNECTED) keep what
 *   they run and get nothing new: a flapping agent must not lose its tasks.
 * - DOWN or drained nodes, nodes whose labels no longer meet the constraints,
 *   and nodes that left the cluster get their tasks shut down.
 * - A node with more than one live task keeps one (a running one, then the
 *   newest) and the rest are shut down.
 */
export function reconcileGlobal(input: GlobalInput): Action[] {
  const { service } = input;
  if (service.spec?.mode !== ServiceMode.SERVICE_MODE_GLOBAL) {
    throw new Error(`reconciling service ${service.id} as global: its mode is ${service.spec?.mode}`);
  }
  const liveByNode = new Map<string, Task[]>();
  for (const t of input.tasks) {
    if (t.serviceId !== service.id || !isLive(t) || t.nodeId === '') continue;
    liveByNode.set(t.nodeId, [...(liveByNode.get(t.nodeId) ?? []), t]);
  }

  const actions: Action[] = [];
  const known = new Set<string>();
  for (const node of [...input.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    known.add(node.id);
    const live = liveByNode.get(node.id) ?? [];
    const { fit, why } = nodeFit(node, input.isEligible);
    if (fit === 'none') {
      actions.push(...live.map((t) => shutdown(t.id, why)));
      continue;
    }
    if (live.length === 0) {
      if (fit === 'new-tasks') {
        const task = newTask(service, {
          slot: 0,
          nodeId: node.id,
          now: input.now,
          ...(input.newId ? { newId: input.newId } : {}),
        });
        actions.push({ type: 'create', task });
      }
      continue;
    }
    const [, ...extra] = [...live].sort(keepFirst);
    actions.push(...extra.map((t) => shutdown(t.id, `node ${node.id} already runs a task of this global service`)));
  }
  for (const [nodeId, live] of liveByNode) {
    if (!known.has(nodeId)) actions.push(...live.map((t) => shutdown(t.id, `node ${nodeId} left the cluster`)));
  }
  return actions;
}

/** What a node may carry for a global service (or global job), and why not when it may carry nothing. */
export function nodeFit(node: Node, isEligible: (node: Node) => boolean): { fit: NodeFit; why: string } {
  const state = node.status?.state ?? NodeState.NODE_STATE_UNKNOWN;
  const availability = node.spec?.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE;
  if (state === NodeState.NODE_STATE_DOWN) return { fit: 'none', why: `node ${node.id} is down` };
  if (availability === NodeAvailability.NODE_AVAILABILITY_DRAIN) {
    return { fit: 'none', why: `node ${node.id} is drained` };
  }
  if (!isEligible(node)) {
    return { fit: 'none', why: `node ${node.id} no longer satisfies the placement constraints` };
  }
  if (state !== NodeState.NODE_STATE_READY || availability !== NodeAvailability.NODE_AVAILABILITY_ACTIVE) {
    return { fit: 'keep-existing', why: '' };
  }
  return { fit: 'new-tasks', why: '' };
}

/** Running before not running, then newest first, then by id for determinism. */
function keepFirst(a: Task, b: Task): number {
  const run = Number(isRunning(b)) - Number(isRunning(a));
  if (run !== 0) return run;
  const age = (b.meta?.createdAt ?? 0) - (a.meta?.createdAt ?? 0);
  if (age !== 0) return age;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
