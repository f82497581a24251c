// The leader-side edge of the orchestrator: follows store events and runs the pure reconcilers
// (replicated, global, restart supervisor, node loss, history pruning, deleted services) over one
// read view per pass, writing each pass's decisions in one transaction. Never polls: work comes
// from store events and from the timers of delayed restarts.
import { randomUUID } from 'node:crypto';
import {
  NodeAvailability,
  NodeState,
  ServiceMode,
  StoreOp,
  TaskState,
  UpdateState,
  isTerminal,
  matchesConstraints,
  parseConstraints,
  type Node,
  type Service,
  type StoreEvent,
  type Task,
} from '@flotilla/api';
import { LeaderGatedService } from '@flotilla/bus';
import { TransactionBuilder, VersionConflict, type StoreAccess } from '@flotilla/raft';
import type { Logger } from 'pino';
import type { Action } from '../actions.js';
import { reconcileGlobal } from '../global/reconcile.js';
import { DEFAULT_TASK_HISTORY, pruneHistory } from '../history/prune.js';
import { releaseTasksOfDownNode, releaseTasksOfRemovedNode } from '../node-down.js';
import { reconcileReplicated } from '../replicated/reconcile.js';
import { restartActions } from '../restart/actions.js';
import { delayedStartAt } from '../restart/start-at.js';
import { decideRestart } from '../restart/supervisor.js';
import { isLive } from '../slots.js';
import { planUpdate } from '../update/plan.js';
import { dependencyVerdict } from '../dependencies/hold.js';
import type { DependencyStatus } from '@flotilla/api';
import { followStore, type Following } from '@flotilla/raft';
import { WorkLoop } from '@flotilla/bus';
import { WorkingSet, neverAssigned } from './working-set.js';
import { completed, isJob, isStale } from '../jobs/iteration.js';
import { historyLimit, historyToKeep } from '../history/limit.js';
import { reconcileReplicatedJob } from '../jobs/replicated.js';
import { reconcileGlobalJob } from '../jobs/global.js';

export interface OrchestratorServiceOptions {
  store: StoreAccess;
  logger?: Logger;
  /** This manager's node id, for logs. */
  nodeId?: string;
  /**
   * Ended tasks kept per slot (global: per node) until the store has a cluster object, whose
   * orchestration.taskHistoryRetentionLimit rules from then on. Default 5; services with
   * maxAttempts keep at least maxAttempts + 1.
   */
  taskHistory?: number;
  /** How long events are collected before a pass. Default 0: the rest of the current event-loop turn (setImmediate). */
  batchWindowMs?: number;
  /** Task writes per transaction (a restart's two writes are never split). Default 1 000. */
  maxWritesPerTransaction?: number;
  now?: () => number;
}

interface Work {
  all: boolean;
  services: Set<string>;
  nodes: Set<string>;
  tasks: Set<string>;
  /** Services under a rolling update whose tasks changed, or whose delay/monitor timer fired. */
  updates: Set<string>;
  /** The cluster spec changed: its task history limit may now be lower, so every service is pruned. */
  history: boolean;
}

const emptyWork = (): Work => ({ all: false, services: new Set(), nodes: new Set(), tasks: new Set(), updates: new Set(), history: false });

function isUpdating(service: Service): boolean {
  const state = service.updateStatus?.state;
  return state === UpdateState.UPDATE_STATE_UPDATING || state === UpdateState.UPDATE_STATE_ROLLBACK_STARTED;
}

export class OrchestratorService extends LeaderGatedService {
  private readonly store: StoreAccess;
  private readonly now: () => number;
  private readonly taskHistory: number;
  private readonly batchWindowMs: number;
  private readonly maxWrites: number;
  private loop: WorkLoop<Work> | undefined;
  private following: Following | undefined;
  /** One timer per delayed restart, keyed by the waiting replacement's id. */
  private readonly startTimers = new Map<string, NodeJS.Timeout>();
  /** Services under a rolling update (from service events), so their task events wake the updater. */
  private readonly updating = new Set<string>();
  /** Services held by depends_on: any task event may let them go. */
  private readonly held = new Set<string>();
  /** One delay/monitor timer per service under update. */
  private readonly updateTimers = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  constructor(o: OrchestratorServiceOptions) {
    super('orchestrator', (o.logger ?? undefined)?.child({ component: 'orchestrator', nodeId: o.nodeId ?? '' }));
    this.store = o.store;
    this.now = o.now ?? Date.now;
    this.taskHistory = o.taskHistory ?? DEFAULT_TASK_HISTORY;
    this.batchWindowMs = o.batchWindowMs ?? 0;
    this.maxWrites = o.maxWritesPerTransaction ?? 1_000;
  }

  /** Passes run so far (tests, metrics). */
  get passes(): number {
    return this.loop?.stats.passes ?? 0;
  }

  /** Delayed restarts waiting for their time. */
  get waitingRestarts(): number {
    return this.startTimers.size;
  }

  protected async onActivate(): Promise<void> {
    const loop = new WorkLoop<Work>({
      windowMs: this.batchWindowMs,
      empty: emptyWork,
      merge: (into, from) => {
        into.all ||= from.all;
        into.history ||= from.history;
        for (const k of ['services', 'nodes', 'tasks', 'updates'] as const) for (const id of from[k]) into[k].add(id);
      },
      run: (work) => this.pass(work),
      log: this.log,
      isExpected: (err) => err instanceof VersionConflict,
    });
    this.loop = loop;
    this.following = followStore(
      this.store,
      { kinds: ['service', 'node', 'task', 'cluster'] },
      {
        onEvent: (ev) => this.onEvent(ev),
        // Leader start (or a lagged watch): everything is looked at once, and the timers of
        // delayed restarts the previous leader held are rebuilt from the READY tasks.
        onResync: () => loop.add((w) => void (w.all = true)),
      },
      this.log,
    );
  }

  protected async onDeactivate(): Promise<void> {
    await this.following?.stop();
    await this.loop?.stop();
    this.following = undefined;
    this.loop = undefined;
    for (const t of this.startTimers.values()) clearTimeout(t);
    this.startTimers.clear();
    for (const t of this.updateTimers.values()) clearTimeout(t.timer);
    this.updateTimers.clear();
    this.updating.clear();
    this.held.clear();
  }

  private onEvent(ev: StoreEvent): void {
    const kind = ev.object?.kind;
    const loop = this.loop;
    if (!kind || !loop) return;
    switch (kind.$case) {
      case 'service':
        if (ev.op !== StoreOp.STORE_OP_DELETE && isUpdating(kind.value)) this.updating.add(kind.value.id);
        else this.updating.delete(kind.value.id);
        loop.add((w) => w.services.add(kind.value.id));
        return;
      case 'node':
        loop.add((w) => w.nodes.add(kind.value.id));
        return;
      case 'cluster':
        loop.add((w) => void (w.history = true));
        return;
      case 'task': {
        const t = kind.value;
        if (ev.op === StoreOp.STORE_OP_DELETE) return;
        // A dependency's task starting, turning healthy or completing may let a held service go.
        if (this.held.size > 0 && !this.held.has(t.serviceId)) loop.add((w) => this.held.forEach((id) => w.services.add(id)));
        // Any progress of a task (RUNNING, failed) may let a rolling update move on.
        if (this.updating.has(t.serviceId)) loop.add((w) => w.updates.add(t.serviceId));
        // Ended tasks (restart, prune, deleted services) and delayed replacements (timers).
        const ended = t.status !== undefined && isTerminal(t.status.state);
        if (ended || t.desiredState === TaskState.TASK_STATE_READY) loop.add((w) => w.tasks.add(t.id));
        return;
      }
      default:
        return;
    }
  }

  private async pass(work: Work): Promise<void> {
    const view = this.store.view();
    const now = this.now();
    const ws = new WorkingSet(view, now);
    const services = new Set(work.services);
    const nodes = new Set(work.nodes);
    const tasks = new Set(work.tasks);
    if (work.all) {
      this.updating.clear();
      for (const s of view.services.all()) {
        services.add(s.id);
        if (isUpdating(s)) this.updating.add(s.id);
      }
      for (const n of view.nodes.all()) nodes.add(n.id);
      for (const t of view.tasks.all()) {
        if (!view.services.get(t.serviceId)) services.add(t.serviceId);
        if ((t.status && isTerminal(t.status.state)) || t.desiredState === TaskState.TASK_STATE_READY) tasks.add(t.id);
      }
    }
    const prune = new Set<string>();
    const log: Array<{ action: Action; serviceId: string }> = [];
    const perform = (serviceId: string, actions: readonly Action[], together = false): void => {
      for (const a of actions) if (ws.apply(a)) log.push({ action: a, serviceId });
      if (together) ws.link(actions.map((a) => (a.type === 'create' ? a.task.id : a.taskId)));
    };

    // Node changes: lost or drained nodes give up their tasks; every global service follows nodes.
    if (nodes.size > 0) {
      for (const id of nodes) {
        for (const sid of this.releaseNode(ws, id, perform)) services.add(sid);
      }
      for (const s of view.services.all()) if (s.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL || s.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL_JOB) services.add(s.id);
    }

    // Ended tasks: restart policy; delayed replacements: start when due.
    for (const id of tasks) {
      const t = ws.get(id);
      if (!t) continue;
      const service = view.services.get(t.serviceId);
      if (!service) {
        services.add(t.serviceId);
        continue;
      }
      const history = slotHistory(ws, t);
      if (t.desiredState === TaskState.TASK_STATE_READY) {
        const at = delayedStartAt(t, history) ?? now;
        if (at <= now) ws.start(t);
        else this.armStart(t.id, at, now);
        continue;
      }
      if (isLive(t) && t.status && isTerminal(t.status.state)) {
        const node = t.nodeId ? view.nodes.get(t.nodeId) : undefined;
        const job = isJob(service);
        const decision = decideRestart({ task: t, history, now, job, ...(node ? { node } : {}) });
        const actions = restartActions({ decision, service, task: t, now, ...(node ? { node } : {}) });
        perform(service.id, actions, true);
        // A job moves on when one of its tasks ends: the next tasks up to --max-concurrent.
        if (job) services.add(service.id);
      }
      prune.add(t.serviceId);
    }

    // Services: reconcile created/updated ones (unless depends_on holds them); let go of the tasks of deleted ones.
    const dependencyWrites = new Map<string, DependencyStatus>();
    for (const sid of services) {
      const service = view.services.get(sid);
      if (!service) {
        this.held.delete(sid);
        this.retireDeletedService(ws, sid, perform);
      } else {
        const verdict = dependencyVerdict(service, { service: (name) => view.services.byName(name), tasks: (id) => ws.byService(id) });
        if (verdict.held) {
          this.held.add(sid);
          if (service.dependencies?.waitingFor !== verdict.waitingFor) dependencyWrites.set(sid, { releasedAt: 0, waitingFor: verdict.waitingFor });
          continue;
        }
        this.held.delete(sid);
        if (verdict.release) {
          dependencyWrites.set(sid, { releasedAt: now, waitingFor: '' });
          this.log.info({ serviceId: sid }, 'service dependencies met; creating its tasks');
        }
        perform(sid, this.reconcileService(service, ws, view.nodes.all(), now));
      }
      prune.add(sid);
    }

    // Rolling updates, after the reconcilers so the planner sees the slots they just filled.
    const serviceWrites: Service[] = [];
    for (const sid of new Set([...services, ...work.updates])) {
      const service = view.services.get(sid);
      if (!service || !isUpdating(service)) continue;
      const plan = planUpdate({ service, tasks: ws.byService(sid), now });
      // A stop-first batch's shutdowns and replacements commit together: no slot is left empty.
      perform(sid, plan.actions, true);
      if (plan.service) serviceWrites.push(plan.service);
      if (plan.wakeAt !== undefined) this.armUpdate(sid, plan.wakeAt, now);
      prune.add(sid);
    }

    const limit = historyLimit(view.clusters.all().next().value, this.taskHistory);
    if (work.history) for (const s of view.services.all()) prune.add(s.id);
    for (const sid of prune) {
      const service = view.services.get(sid);
      if (!service) continue;
      for (const id of pruneHistory(prunable(service, ws.byService(sid)), { keep: historyToKeep(service, limit) })) ws.delete(id);
    }

    for (const [sid, dependencies] of dependencyWrites) {
      const i = serviceWrites.findIndex((s) => s.id === sid);
      if (i >= 0) serviceWrites[i] = { ...serviceWrites[i]!, dependencies };
      else serviceWrites.push({ ...view.services.get(sid)!, dependencies });
      if (dependencies.waitingFor) this.log.info({ serviceId: sid, waitingFor: dependencies.waitingFor }, 'service held until its dependencies are met');
    }
    if (ws.changes === 0 && serviceWrites.length === 0) return;
    let index = 0;
    const txPrefix = `orchestrator-${randomUUID()}`;
    for (const tx of ws.changes === 0 ? [] : ws.transactions(txPrefix, this.maxWrites)) {
      index = await this.store.propose(tx.build());
      this.log.debug({ index, txId: tx.id, writes: tx.size }, 'orchestrator writes committed');
    }
    for (const { action, serviceId } of log) this.logAction(action, serviceId, index);
    if (serviceWrites.length > 0) {
      // After the task writes: a version conflict here (the service changed meanwhile) retries the
      // pass, which re-plans from what committed.
      const tx = new TransactionBuilder(`${txPrefix}-services`, now);
      for (const s of serviceWrites) tx.update('service', s);
      index = await this.store.propose(tx.build());
      for (const s of serviceWrites) {
        this.log.info(
          { index, serviceId: s.id, updateState: s.updateStatus?.state, specVersion: s.specVersion, reason: s.updateStatus?.message },
          'service update status changed',
        );
      }
    }
  }

  /** Wakes the updater of a service at `at` (batch delay, monitor window); the earliest wish wins. */
  private armUpdate(serviceId: string, at: number, now: number): void {
    const existing = this.updateTimers.get(serviceId);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.updateTimers.delete(serviceId);
      this.loop?.add((w) => w.updates.add(serviceId));
    }, Math.max(0, at - now));
    this.updateTimers.set(serviceId, { at, timer });
  }

  private reconcileService(service: Service, ws: WorkingSet, nodes: Iterable<Node>, now: number): Action[] {
    const tasks = ws.byService(service.id);
    switch (service.spec?.mode) {
      case ServiceMode.SERVICE_MODE_GLOBAL:
        return reconcileGlobal({ service, tasks, nodes: [...nodes], isEligible: this.eligibility(service), now });
      case ServiceMode.SERVICE_MODE_GLOBAL_JOB:
        return reconcileGlobalJob({ service, tasks, nodes: [...nodes], isEligible: this.eligibility(service), now });
      case ServiceMode.SERVICE_MODE_REPLICATED_JOB:
        return reconcileReplicatedJob({ service, tasks, now });
      default:
        return reconcileReplicated({ service, tasks, now });
    }
  }

  private eligibility(service: Service): (node: Node) => boolean {
    const exprs = service.spec?.task?.placement?.constraints ?? [];
    try {
      const constraints = parseConstraints(exprs);
      return (node) => matchesConstraints(constraints, node);
    } catch (err) {
      // Specs are validated before they are stored; a bad one placed nowhere is the safe reading.
      this.log.error({ err, serviceId: service.id, constraints: exprs }, 'service has unparsable placement constraints; placing it nowhere');
      return () => false;
    }
  }

  /** Releases the tasks of a node that is gone, down or drained; returns the services to reconcile. */
  private releaseNode(ws: WorkingSet, nodeId: string, perform: (sid: string, a: readonly Action[]) => void): string[] {
    const node = ws.view.nodes.get(nodeId);
    const onNode = ws.byNode(nodeId);
    let released: { actions: Action[]; serviceIds: string[] };
    if (!node) released = releaseTasksOfRemovedNode(nodeId, onNode);
    else if (node.status?.state === NodeState.NODE_STATE_DOWN) released = releaseTasksOfDownNode(node, onNode);
    else if (node.spec?.availability === NodeAvailability.NODE_AVAILABILITY_DRAIN) {
      // Replicated tasks leave a drained node at once (global ones go through reconcileGlobal).
      const leaving = onNode.filter((t) => isLive(t) && t.slot > 0);
      released = {
        actions: leaving.map((t) => ({ type: 'shutdown', taskId: t.id, reason: `node ${nodeId} is drained` })),
        serviceIds: [...new Set(leaving.map((t) => t.serviceId))],
      };
    } else released = this.releaseUnfitTasks(node, onNode);
    for (const a of released.actions) {
      const t = ws.get(a.type === 'create' ? a.task.id : a.taskId);
      if (t) perform(t.serviceId, [a]);
    }
    return released.serviceIds;
  }

  /**
   * Replicated tasks on a node whose labels (or role, ...) no longer satisfy the constraints they
   * were placed with leave it, like swarm's constraint enforcer; the freed slots are filled where
   * the constraints hold. Global services get the same through reconcileGlobal.
   */
  private releaseUnfitTasks(node: Node, onNode: readonly Task[]): { actions: Action[]; serviceIds: string[] } {
    const leaving: Task[] = [];
    for (const t of onNode) {
      const exprs = t.spec?.placement?.constraints ?? [];
      if (!isLive(t) || t.slot === 0 || exprs.length === 0) continue;
      try {
        if (!matchesConstraints(parseConstraints(exprs), node)) leaving.push(t);
      } catch {
        // A task whose constraints do not parse was never placed by them; leave it be.
      }
    }
    return {
      actions: leaving.map((t) => ({ type: 'shutdown', taskId: t.id, reason: `node ${node.id} no longer satisfies the placement constraints` })),
      serviceIds: [...new Set(leaving.map((t) => t.serviceId))],
    };
  }

  /** A deleted service's tasks are shut down, then deleted once they have ended. */
  private retireDeletedService(ws: WorkingSet, serviceId: string, perform: (sid: string, a: readonly Action[]) => void): void {
    const tasks = ws.byService(serviceId);
    perform(
      serviceId,
      tasks.filter(isLive).map((t) => ({ type: 'shutdown', taskId: t.id, reason: `service ${serviceId} was removed` })),
    );
    for (const t of ws.byService(serviceId)) {
      if (!isLive(t) && (neverAssigned(t) || (t.status !== undefined && isTerminal(t.status.state)))) ws.delete(t.id);
    }
  }

  private armStart(taskId: string, at: number, now: number): void {
    if (this.startTimers.has(taskId)) return;
    const timer = setTimeout(() => {
      this.startTimers.delete(taskId);
      this.loop?.add((w) => w.tasks.add(taskId));
    }, Math.max(0, at - now));
    this.startTimers.set(taskId, timer);
    this.log.info({ taskId, startAt: new Date(at).toISOString() }, 'delayed restart waiting');
  }

  private logAction(action: Action, serviceId: string, index: number): void {
    switch (action.type) {
      case 'create':
        this.log.info(
          { index, serviceId, taskId: action.task.id, slot: action.task.slot, nodeId: action.task.nodeId || undefined, desiredState: action.task.desiredState },
          'task created',
        );
        return;
      case 'shutdown':
        this.log.info({ index, serviceId, taskId: action.taskId, reason: action.reason }, 'task shut down');
        return;
      case 'mark-orphaned':
        this.log.info({ index, serviceId, taskId: action.taskId, reason: action.reason }, 'task orphaned');
        return;
    }
  }
}

/** A job's completed tasks of its current iteration are its progress: never pruned, or the work would run again. */
function prunable(service: Service, tasks: Task[]): Task[] {
  if (!isJob(service)) return tasks;
  return tasks.filter((t) => !(completed(t) && !isStale(t, service)));
}

/** The tasks of the same slot (replicated) or of the same service on the same node (global), from the indexes. */
function slotHistory(ws: WorkingSet, t: Task): Task[] {
  if (t.slot > 0) return ws.bySlot(t.serviceId, t.slot);
  return ws.byNode(t.nodeId).filter((o) => o.serviceId === t.serviceId && o.slot === 0);
}
