import { NodeState, TaskState, type LogTaskContext, type Service, type Task } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { invalidArgument, notFound } from '../control/control-error.js';

export interface LogTarget {
  context: LogTaskContext;
  /** Set when the task's node is known to be down: say so instead of asking it. */
  nodeDown: boolean;
}

export interface LogSelection {
  /** The service whose tasks are shown (also when the target was one task). */
  service: Service | undefined;
  /** Set when the target was one task: only it is shown, and new tasks are not followed. */
  taskId: string | undefined;
  targets: LogTarget[];
}

/**
 * Whether a task has a container whose log can be read: it got one (the agent reported its id)
 * and it was not removed, which the agent does when a task reaches SHUTDOWN.
 */
export function hasReadableContainer(task: Task): boolean {
  return Boolean(task.nodeId && task.status?.container?.containerId) && task.status?.state !== TaskState.TASK_STATE_SHUTDOWN;
}

export function logTarget(view: ReadTx, task: Task, service: Service | undefined): LogTarget {
  const node = view.nodes.get(task.nodeId);
  return {
    context: {
      serviceName: service?.spec?.annotations?.name ?? task.serviceName,
      slot: task.slot,
      taskId: task.id,
      nodeId: task.nodeId,
      nodeHostname: node?.description?.hostname || task.nodeId,
    },
    nodeDown: node?.status?.state === NodeState.NODE_STATE_DOWN,
  };
}

/**
 * What `service logs TARGET` reads, like docker: TARGET is a service (id, name or id prefix),
 * else a task (id or unique id prefix). A service's tasks are those with a readable container,
 * by slot then age; a named task is read whatever its state (the agent says if it has no log).
 */
export function selectLogTargets(view: ReadTx, ref: string): LogSelection {
  if (ref === '') throw invalidArgument('a service or task is required');
  const service = view.services.get(ref) ?? view.services.byName(ref) ?? uniqueByPrefix([...view.services.all()], ref, 'service');
  if (service) {
    const tasks = view.tasks
      .byService(service.id)
      .filter(hasReadableContainer)
      .sort((a, b) => a.slot - b.slot || (a.meta?.createdAt ?? 0) - (b.meta?.createdAt ?? 0) || a.id.localeCompare(b.id));
    return { service, taskId: undefined, targets: tasks.map((t) => logTarget(view, t, service)) };
  }
  const task = view.tasks.get(ref) ?? uniqueByPrefix([...view.tasks.all()], ref, 'task');
  if (!task) throw notFound(`no such service or task: ${ref}`);
  if (!task.nodeId) throw invalidArgument(`task ${task.id} has not been placed on a node yet: it has no logs`);
  const owner = view.services.get(task.serviceId);
  return { service: owner, taskId: task.id, targets: [logTarget(view, task, owner)] };
}

function uniqueByPrefix<T extends { id: string }>(all: T[], ref: string, what: string): T | undefined {
  const matches = all.filter((o) => o.id.startsWith(ref));
  if (matches.length > 1) throw invalidArgument(`${what} ${ref} is ambiguous (${matches.length} matches)`);
  return matches[0];
}
