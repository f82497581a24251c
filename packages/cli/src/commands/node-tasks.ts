import type { Task } from '@flotilla/api';
import type { ControlApi } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { orderTasks } from '../output/task-format.js';
import { selfNode } from './node.js';
import { renderTaskList, taskFilters, taskRows, type TaskListOptions } from './task-list.js';
import { eachTarget } from './each-target.js';

/** `node ps` with no NODE means this node, as docker does. */
export function nodePsTargets(refs: readonly string[]): string[] {
  return refs.length ? [...refs] : ['self'];
}

/** `node rm` needs at least one NODE; commander checks that too, this guards direct callers. */
export function nodeRmTargets(refs: readonly string[]): string[] {
  if (refs.length === 0) throw new CliError('"node rm" requires at least 1 argument: flotilla node rm [OPTIONS] NODE [NODE...]', 2);
  return [...refs];
}

/** "self" names the node the daemon runs on; anything else goes to the daemon as typed. */
async function resolveRef(api: ControlApi, ref: string): Promise<string> {
  return ref === 'self' ? ((await selfNode(api)).node?.id ?? ref) : ref;
}

/** Rows grouped per service (slots repeat across services), each group in `service ps` order. */
export function orderNodeTasks(tasks: readonly Task[]): Array<{ task: Task; history: boolean }> {
  const byService = new Map<string, Task[]>();
  for (const t of tasks) byService.set(t.serviceId, [...(byService.get(t.serviceId) ?? []), t]);
  const nameOf = (id: string) => byService.get(id)?.[0]?.serviceName ?? id;
  return [...byService.keys()].sort((a, b) => nameOf(a).localeCompare(nameOf(b)) || a.localeCompare(b)).flatMap((id) => orderTasks(byService.get(id)!));
}

export async function nodePsCommand(ctx: CommandContext, refs: string[], opts: TaskListOptions, now = Date.now()): Promise<void> {
  const { filters, desiredStates } = taskFilters(opts.filter);
  const api = ctx.connect();
  try {
    const rows = [];
    for (const ref of nodePsTargets(refs)) {
      const node = await resolveRef(api, ref);
      rows.push(...taskRows(await api.listNodeTasks({ node, desiredStates }), filters, opts, now, orderNodeTasks));
    }
    ctx.out(renderTaskList(rows, opts));
  } finally {
    api.close();
  }
}

/** Like docker: removes what it can, prints each removed node, and fails at the end if any was refused. */
export async function nodeRmCommand(ctx: CommandContext, refs: string[], opts: { force?: boolean }): Promise<void> {
  const targets = nodeRmTargets(refs);
  const api = ctx.connect();
  try {
    await eachTarget(targets, async (ref) => {
      await api.removeNode({ node: await resolveRef(api, ref), force: Boolean(opts.force) });
      ctx.out(`${ref}\n`);
    });
  } finally {
    api.close();
  }
}
