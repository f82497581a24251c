import type { Task } from '@flotilla/api';
import type { ControlApi } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { orderTasks, TASK_HEADERS, taskRow } from '../output/task-format.js';
import { selfNode } from './node.js';
import { parseTaskFilters } from './service.js';
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

export async function nodePsCommand(ctx: CommandContext, refs: string[], opts: { filter: string[]; noTrunc?: boolean; quiet?: boolean }, now = Date.now()): Promise<void> {
  const desiredStates = parseTaskFilters(opts.filter);
  const api = ctx.connect();
  try {
    const rows: string[][] = [];
    for (const ref of nodePsTargets(refs)) {
      const res = await api.listNodeTasks({ node: await resolveRef(api, ref), desiredStates });
      for (const { task, history } of orderNodeTasks(res.tasks)) {
        rows.push(taskRow(task, history, undefined, res.nodeHostnames, now, Boolean(opts.noTrunc)));
      }
    }
    if (opts.quiet) ctx.out(rows.map((r) => `${r[0]}\n`).join(''));
    else ctx.out(renderTable(TASK_HEADERS, rows));
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
