import { NodeAvailability, NodeState, ServiceMode, TaskState, type Node, type Service, type Task } from '@flotilla/api';
import { shutdown, type Action } from '../actions.js';
import { newTask } from '../new-task.js';
import type { RestartDecision } from './supervisor.js';
import { isJob, isStale } from '../jobs/iteration.js';

export interface RestartActionInput {
  decision: RestartDecision;
  service: Service;
  task: Task;
  now: number;
  /** The task's node; a global task is not restarted on a node that is down or drained. */
  node?: Node;
  newId?: () => string;
}

/**
 * Turns a restart decision into store writes. The ended task is always shut
 * down (desiredState SHUTDOWN) in the same transaction as its replacement is
 * created, so a decision is never applied twice. A delayed replacement is
 * created at once with desiredState READY (it keeps the slot taken, so the
 * replicated reconciler does not fill it meanwhile) and `startAt` tells the
 * edge when to move it to RUNNING. Replicated replacements go back to the
 * scheduler; global ones stay on their node.
 */
export function restartActions(input: RestartActionInput): Action[] {
  const { decision, task } = input;
  if (decision.kind === 'no-action') return [];
  if (decision.kind === 'give-up' && decision.completed) {
    return [{ type: 'shutdown', taskId: task.id, reason: decision.reason, desiredState: TaskState.TASK_STATE_COMPLETE }];
  }
  const out: Action[] = [shutdown(task.id, decision.reason)];
  if (decision.kind === 'give-up') return out;
  // A job's task of an earlier iteration is not restarted: the current iteration has its own.
  if (isJob(input.service) && isStale(task, input.service)) return [shutdown(task.id, `${decision.reason}; not restarting: its job iteration is over`)];
  const mode = input.service.spec?.mode;
  const global = mode === ServiceMode.SERVICE_MODE_GLOBAL || mode === ServiceMode.SERVICE_MODE_GLOBAL_JOB;
  const unusable = global ? nodeUnusable(input.node) : undefined;
  if (unusable) return [shutdown(task.id, `${decision.reason}; not restarting: ${unusable}`)];
  const replacement = newTask(input.service, {
    slot: global ? 0 : task.slot,
    nodeId: global ? task.nodeId : '',
    now: input.now,
    desiredState: decision.kind === 'restart-now' ? TaskState.TASK_STATE_RUNNING : TaskState.TASK_STATE_READY,
    ...(input.newId ? { newId: input.newId } : {}),
  });
  out.push(
    decision.kind === 'restart-at' ? { type: 'create', task: replacement, startAt: decision.at } : { type: 'create', task: replacement },
  );
  return out;
}

/** Why a global task's node cannot take its replacement, if it cannot. */
function nodeUnusable(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  if (node.status?.state === NodeState.NODE_STATE_DOWN) return `node ${node.id} is down`;
  if (node.spec?.availability === NodeAvailability.NODE_AVAILABILITY_DRAIN) return `node ${node.id} is drained`;
  return undefined;
}
