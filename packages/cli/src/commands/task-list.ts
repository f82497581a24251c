// `service ps`, `node ps` and `stack ps` share docker's task list: rows per slot (newest first,
// history under ` \_ `), `--filter` with docker's task keys, `--format`, `-q`, `--no-trunc`
// and `--no-resolve`.
import type { Task } from '@flotilla/api';
import { matchTask, type Filters } from '@flotilla/docker-shape';
import type { ListTasksResponse } from '@flotilla/api';
import { listFilters, withNodeIds, desiredStatesOf } from '../output/list-filters.js';
import { renderList } from '../output/list-format.js';
import { TASK_LIST, type TaskRow } from '../output/swarm-list-contexts.js';
import { orderTasks } from '../output/task-format.js';

export interface TaskListOptions {
  filter?: string[];
  format?: string;
  quiet?: boolean;
  noTrunc?: boolean;
  noResolve?: boolean;
}

/** The filters, checked before the daemon is asked, and the desired states it can select by. */
export function taskFilters(values: readonly string[] | undefined): { filters: Filters; desiredStates: ReturnType<typeof desiredStatesOf> } {
  const filters = listFilters('task', values);
  return { filters, desiredStates: desiredStatesOf(filters) };
}

/** Rows of one listing that pass the filters, in `service ps` order (`order` may group them first). */
export function taskRows(
  res: ListTasksResponse,
  filters: Filters,
  opts: TaskListOptions,
  now: number,
  order: (tasks: readonly Task[]) => Array<{ task: Task; history: boolean }> = orderTasks,
  selfId?: string,
): TaskRow[] {
  const f = withNodeIds(filters, res.nodeHostnames, selfId);
  const kept = res.tasks.filter((t) => matchTask(f, t, t.serviceId === res.service?.id ? res.service : undefined));
  return order(kept).map(({ task, history }) => ({
    task,
    history,
    serviceName: task.serviceId === res.service?.id ? (res.service?.spec?.annotations?.name ?? '') : task.serviceName,
    nodeHostnames: res.nodeHostnames,
    now,
    noTrunc: Boolean(opts.noTrunc),
    noResolve: Boolean(opts.noResolve),
  }));
}

export function renderTaskList(rows: readonly TaskRow[], opts: TaskListOptions): string {
  return renderList(TASK_LIST, rows, { format: opts.format, quiet: opts.quiet });
}


/** What commander gives for the task list flags (`--no-trunc`, `--no-resolve` are negations). */
export interface TaskListFlags {
  filter: string[];
  format?: string;
  quiet?: boolean;
  trunc: boolean;
  resolve?: boolean;
}

export function taskListOptions(f: TaskListFlags): TaskListOptions {
  return { filter: f.filter, noTrunc: !f.trunc, noResolve: f.resolve === false, ...(f.format !== undefined ? { format: f.format } : {}), ...(f.quiet ? { quiet: true } : {}) };
}
