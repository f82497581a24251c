export type { Action, CreateTask, ShutdownTask, MarkOrphaned } from './actions.js';
export { newTask } from './new-task.js';
export type { NewTaskOptions } from './new-task.js';
export { reconcileReplicated } from './replicated/reconcile.js';
export type { ReplicatedInput } from './replicated/reconcile.js';
export { reconcileGlobal } from './global/reconcile.js';
export type { GlobalInput } from './global/reconcile.js';
export { decideRestart } from './restart/supervisor.js';
export type { RestartInput, RestartDecision } from './restart/supervisor.js';
export { restartActions } from './restart/actions.js';
export type { RestartActionInput } from './restart/actions.js';
export { delayedStartAt } from './restart/start-at.js';
export { pruneHistory, DEFAULT_TASK_HISTORY } from './history/prune.js';
export { historyLimit, historyToKeep } from './history/limit.js';
export type { PruneOptions } from './history/prune.js';
export {
  releaseTasksOfDownNode,
  releaseTasksOfRemovedNode,
  orphanTasks,
  DEFAULT_ORPHAN_AFTER_MS,
} from './node-down.js';
export type { NodeDownResult } from './node-down.js';
export { isLive, isRunning, groupBySlot } from './slots.js';
export { OrchestratorService } from './service/orchestrator-service.js';
export type { OrchestratorServiceOptions } from './service/orchestrator-service.js';
export { planUpdate } from './update/plan.js';
export type { UpdateInput, UpdatePlan } from './update/plan.js';
export { isDirty } from './update/dirty.js';
export { beginUpdate, beginRollback } from './update/begin.js';
export { dependencyVerdict, dependencyProgress, type DependencyVerdict, type DependencyFacts } from './dependencies/hold.js';
export { reconcileReplicatedJob } from './jobs/replicated.js';
export type { ReplicatedJobInput } from './jobs/replicated.js';
export { reconcileGlobalJob } from './jobs/global.js';
export type { GlobalJobInput } from './jobs/global.js';
