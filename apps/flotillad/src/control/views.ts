import { NodeRole, NodeState, ServiceMode, TaskState, type Node, type NodeView, type Service, type ServiceView, type Task } from '@flotilla/api';
import { isJobMode, isTerminal } from '@flotilla/api';

/** `service ls` counts: tasks running now against tasks wanted (replicas, or one per node with a live task for global). */
export function serviceView(service: Service, tasks: readonly Task[], readyNodes: number): ServiceView {
  if (isJobMode(service.spec?.mode)) return jobView(service, tasks);
  const running = tasks.filter((t) => t.status?.state === TaskState.TASK_STATE_RUNNING && t.desiredState === TaskState.TASK_STATE_RUNNING).length;
  const global = service.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL;
  const desired = global
    ? Math.max(readyNodes, new Set(tasks.filter((t) => !isTerminal(t.desiredState)).map((t) => t.nodeId)).size)
    : (service.spec?.replicas ?? 0);
  return { service, runningTasks: running, desiredTasks: desired, completedTasks: 0 };
}

/**
 * Jobs, as docker counts them: of the current iteration's tasks, those running, those wanted
 * (still to run or completed) and those completed.
 */
function jobView(service: Service, tasks: readonly Task[]): ServiceView {
  const iteration = service.jobStatus?.jobIteration ?? 0;
  const current = tasks.filter((t) => (t.jobIteration ?? 0) === iteration);
  const completed = current.filter((t) => t.status?.state === TaskState.TASK_STATE_COMPLETE).length;
  const running = current.filter((t) => t.status?.state === TaskState.TASK_STATE_RUNNING && t.desiredState === TaskState.TASK_STATE_RUNNING).length;
  const desired = current.filter((t) => t.desiredState === TaskState.TASK_STATE_RUNNING || t.desiredState === TaskState.TASK_STATE_COMPLETE).length;
  return { service, runningTasks: running, desiredTasks: desired, completedTasks: completed };
}

/**
 * `reachable`: a manager whose node is not Down (its heartbeats arrive), like docker's
 * Unreachable for a manager that stopped answering; this manager always reaches itself.
 */
export function nodeView(node: Node, selfId: string, leaderRaftId: number): NodeView {
  const isManager = node.role === NodeRole.NODE_ROLE_MANAGER;
  const leader = isManager && node.managerStatus !== undefined && node.managerStatus.raftId === leaderRaftId;
  const reachable = isManager && (node.id === selfId || leader || node.status?.state !== NodeState.NODE_STATE_DOWN);
  return { node, self: node.id === selfId, leader, reachable };
}
