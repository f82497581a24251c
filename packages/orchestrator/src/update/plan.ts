import {
  Service,
  ServiceMode,
  TaskState,
  UpdateConfig,
  UpdateFailureAction,
  UpdateOrder,
  UpdateState,
  isTerminal,
  taskStateToNumber,
  type Task,
} from '@flotilla/api';
import { shutdown, type Action } from '../actions.js';
import { newTask } from '../new-task.js';
import { isLive, isRunning } from '../slots.js';
import { isDirty } from './dirty.js';

export interface UpdateInput {
  service: Service;
  /** Every task of this service (any state); tasks of other services are ignored. */
  tasks: readonly Task[];
  now: number;
  newId?: () => string;
}

export interface UpdatePlan {
  actions: Action[];
  /** The service to write when its update status (for a rollback also its spec) changes. */
  service?: Service;
  /** Run the planner again at this time if no store event comes first (delay, monitor window). */
  wakeAt?: number;
}

/** A replicated slot, or a global service's node: the unit an update replaces. */
interface Unit {
  key: string;
  slot: number;
  nodeId: string;
  live: Task[];
  liveDirty: Task[];
  liveFresh: Task[];
  /** Up-to-date tasks created since the update began (replacements and their restarts). */
  replacements: Task[];
  /** A replicated slot (within replicas) with no live task: stop-first let its old task go. */
  vacated: boolean;
  /** Some task of the unit has not reported an end yet (a container still stopping). */
  stopping: boolean;
}

/**
 * One step of a rolling update (or rollback). Pure and stateless: everything
 * it needs is in the service's update status and the tasks, so a new leader
 * picks the update up where the old one left it.
 *
 * - A unit is out of date when a live task's spec differs from the service's.
 * - Batches of `parallelism` units (0 = all): stop-first shuts the old task
 *   down and creates the replacement once the old one has reported its end
 *   (global: in the same write); start-first creates the replacement and
 *   shuts the old one down once the new one is RUNNING. A replicated slot
 *   within `replicas` with no live task is filled with the new spec once
 *   its tasks have ended (the replicated reconciler would fill it the same).
 * - With a `delay`, the next batch starts when every replacement has left the
 *   starting states and `delay` has passed since the last one reached RUNNING
 *   (or ended). Without one, up to `parallelism` units are in flight and the
 *   next unit starts as soon as one is done.
 * - A replacement that ends while still wanted (FAILED, REJECTED, or exited)
 *   during the update is a failure. When failed units / updated units >
 *   `maxFailureRatio`, the failure action applies: pause, rollback (spec :=
 *   previousSpec, ROLLBACK_STARTED, rolled back with the rollback config) or
 *   continue. A rollback that fails pauses.
 * - A rollback uses the rollback config of the spec being left (previousSpec).
 * - Done once nothing is out of date and `monitor` has passed since the
 *   last replacement reached RUNNING: COMPLETED / ROLLBACK_COMPLETED.
 */
export function planUpdate(input: UpdateInput): UpdatePlan {
  const { service, now } = input;
  const status = service.updateStatus;
  const rollingBack = status?.state === UpdateState.UPDATE_STATE_ROLLBACK_STARTED;
  if (!status || (status.state !== UpdateState.UPDATE_STATE_UPDATING && !rollingBack)) return { actions: [] };
  // A rollback follows the rollback config of the spec it leaves (now previousSpec): that is the
  // spec the user gave `--rollback-*` with, and the restored spec may predate it.
  const config =
    (rollingBack ? (service.previousSpec?.rollback ?? service.spec?.rollback) : service.spec?.update) ??
    UpdateConfig.fromPartial({});
  const units = unitsOf(input.service, input.tasks, status.startedAt);

  const failure = failureToAct(units, config);
  if (failure) return { actions: [], service: onFailure(service, failure, rollingBack, config, now) };

  const actions: Action[] = [];
  const settled = new Set<string>();
  for (const u of units) {
    const runningFresh = u.liveFresh.find(isRunning);
    if (u.liveDirty.length > 0 && runningFresh) {
      for (const old of u.liveDirty) actions.push(shutdown(old.id, `replaced by task ${runningFresh.id} (start-first update)`));
      settled.add(u.key);
    }
  }

  // Stop-first: a slot whose old task has stopped gets its replacement; one still stopping is waited for.
  const creating = new Set<string>();
  for (const u of units) {
    if (u.vacated && !u.stopping) {
      actions.push(create(input, u));
      creating.add(u.key);
    }
  }
  const busy = units.filter(
    // A unit whose replacement failed is done for this batch (its failure is counted); waiting for
    // the restart supervisor's next attempt would stall an update whose failure action is continue.
    (u) =>
      creating.has(u.key) ||
      (!u.replacements.some(hasFailed) && ((u.vacated && u.stopping) || u.replacements.some((t) => isLive(t) && !reachedRunning(t)))),
  ).length;
  // With a delay, batches: the next one starts once the whole previous one runs and the delay
  // has passed. Without one, a window: up to `parallelism` units in flight, the next unit
  // starting as soon as one is done (as swarm's update workers do), instead of the whole batch
  // waiting for its slowest task, a wait the settings do not ask for. (Parallelism 0 starts
  // everything at once: nothing to slide.)
  if (busy > 0 && (config.delayMs > 0 || config.parallelism === 0)) return { actions };

  const lastSettledAt = Math.max(
    -Infinity,
    ...units.flatMap((u) => u.replacements.filter(reachedRunning)).map((t) => t.status?.timestamp ?? 0),
  );
  const todo = units.filter((u) => u.liveDirty.length > 0 && u.liveFresh.length === 0 && !settled.has(u.key));
  if (todo.length > 0) {
    if (config.delayMs > 0) {
      const nextBatchAt = lastSettledAt === -Infinity ? now : lastSettledAt + config.delayMs;
      if (now < nextBatchAt) return { actions, wakeAt: nextBatchAt };
    }
    const free = Math.min(todo.length, (config.parallelism > 0 ? config.parallelism : Infinity) - busy);
    for (const u of todo.slice(0, Math.max(0, free))) actions.push(...replace(input, u, config, rollingBack));
    return { actions };
  }
  if (busy > 0) return { actions };
  if (units.some((u) => u.liveDirty.length > 0 && !settled.has(u.key))) return { actions };

  const doneAt = lastSettledAt === -Infinity ? now : lastSettledAt + config.monitorMs;
  if (now < doneAt) return { actions, wakeAt: doneAt };
  return {
    actions,
    service: Service.fromPartial({
      ...service,
      updateStatus: {
        state: rollingBack ? UpdateState.UPDATE_STATE_ROLLBACK_COMPLETED : UpdateState.UPDATE_STATE_COMPLETED,
        startedAt: status.startedAt,
        completedAt: now,
        // A rollback keeps why it started (the failed task, or a manual request) in its final message.
        message: rollingBack ? `rollback completed${status.message ? `: ${status.message}` : ''}` : 'update completed',
      },
    }),
  };
}

function unitsOf(service: Service, tasks: readonly Task[], startedAt: number): Unit[] {
  const global = service.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL;
  const byKey = new Map<string, Task[]>();
  for (const t of tasks) {
    if (t.serviceId !== service.id) continue;
    const key = global ? `node:${t.nodeId}` : `slot:${t.slot}`;
    byKey.set(key, [...(byKey.get(key) ?? []), t]);
  }
  const units: Unit[] = [];
  const replicas = service.spec?.replicas ?? 0;
  for (const [key, all] of byKey) {
    const live = all.filter(isLive);
    // A free global node, or a slot scaled away, is the reconciler's.
    if (live.length === 0 && (global || all[0]!.slot > replicas)) continue;
    units.push({
      key,
      slot: all[0]!.slot,
      nodeId: global ? all[0]!.nodeId : '',
      live,
      liveDirty: live.filter((t) => isDirty(t, service)),
      liveFresh: live.filter((t) => !isDirty(t, service)),
      replacements: all.filter((t) => !isDirty(t, service) && (t.meta?.createdAt ?? 0) >= startedAt),
      vacated: live.length === 0,
      stopping: all.some((t) => !isTerminal(stateOf(t))),
    });
  }
  return units.sort((a, b) => a.slot - b.slot || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

function stateOf(t: Task): TaskState {
  return t.status?.state ?? TaskState.TASK_STATE_NEW;
}

/** RUNNING or past it (ended). Enum values are strings: the proto numbers carry the order. */
function reachedRunning(t: Task): boolean {
  return taskStateToNumber(stateOf(t)) >= taskStateToNumber(TaskState.TASK_STATE_RUNNING);
}

/** Ended while still wanted: failed, rejected, or exited on its own. */
function hasFailed(t: Task): boolean {
  const s = stateOf(t);
  if (s === TaskState.TASK_STATE_FAILED || s === TaskState.TASK_STATE_REJECTED) return true;
  return (s === TaskState.TASK_STATE_COMPLETE || s === TaskState.TASK_STATE_SHUTDOWN) && isLive(t);
}

interface Failure {
  task: Task;
  failedUnits: number;
  updatedUnits: number;
}

function failureToAct(units: Unit[], config: UpdateConfig): Failure | undefined {
  if (config.failureAction === UpdateFailureAction.UPDATE_FAILURE_ACTION_CONTINUE) return undefined;
  const updated = units.filter((u) => u.replacements.length > 0);
  const failed = updated.flatMap((u) => u.replacements.filter(hasFailed));
  const failedUnits = updated.filter((u) => u.replacements.some(hasFailed)).length;
  if (failedUnits === 0 || failedUnits / updated.length <= config.maxFailureRatio) return undefined;
  const first = [...failed].sort((a, b) => (a.status?.timestamp ?? 0) - (b.status?.timestamp ?? 0))[0]!;
  return { task: first, failedUnits, updatedUnits: updated.length };
}

function describe(f: Failure): string {
  const s = f.task.status;
  const why = s?.err || s?.message || String(s?.state ?? 'unknown state');
  const name = f.task.annotations?.name || f.task.id;
  return `task ${name} (${f.task.id}): ${why} (${f.failedUnits} of ${f.updatedUnits} updated failed)`;
}

function onFailure(service: Service, f: Failure, rollingBack: boolean, config: UpdateConfig, now: number): Service {
  const wantsRollback = config.failureAction === UpdateFailureAction.UPDATE_FAILURE_ACTION_ROLLBACK;
  if (wantsRollback && !rollingBack && service.previousSpec) {
    return Service.fromPartial({
      ...service,
      spec: service.previousSpec,
      previousSpec: service.spec,
      specVersion: service.specVersion + 1,
      updateStatus: {
        state: UpdateState.UPDATE_STATE_ROLLBACK_STARTED,
        startedAt: now,
        completedAt: 0,
        message: `update rolled back due to failure of ${describe(f)}`,
      },
    });
  }
  const noPrevious = wantsRollback && !rollingBack ? ' (no previous spec to roll back to)' : '';
  return Service.fromPartial({
    ...service,
    updateStatus: {
      state: rollingBack ? UpdateState.UPDATE_STATE_ROLLBACK_PAUSED : UpdateState.UPDATE_STATE_PAUSED,
      startedAt: service.updateStatus?.startedAt ?? now,
      completedAt: 0,
      message: `${rollingBack ? 'rollback' : 'update'} paused due to failure of ${describe(f)}${noPrevious}`,
    },
  });
}

function create(input: UpdateInput, u: Unit): Action {
  const task = newTask(input.service, { slot: u.slot, nodeId: u.nodeId, now: input.now, ...(input.newId ? { newId: input.newId } : {}) });
  return { type: 'create', task };
}

/**
 * Start-first: the replacement now, the old task once it runs. Stop-first: the old task now and
 * (replicated) the replacement once the old one has stopped, so the two never run together.
 * A global unit has no slot to hold while empty, so its replacement is created with the shutdown.
 */
function replace(input: UpdateInput, u: Unit, config: UpdateConfig, rollingBack: boolean): Action[] {
  if (config.order === UpdateOrder.UPDATE_ORDER_START_FIRST) return [create(input, u)];
  const reason = `${rollingBack ? 'rolled back' : 'updated'} to spec version ${input.service.specVersion} (stop-first)`;
  const stops = u.liveDirty.map((t) => shutdown(t.id, reason));
  return u.nodeId !== '' ? [...stops, create(input, u)] : stops;
}
