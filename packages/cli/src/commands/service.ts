import { ServiceMode, validateServiceSpec, SpecError, formatDuration, type Service, type ServiceView } from '@flotilla/api';
import { dockerService, matchService } from '@flotilla/docker-shape';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderFields } from '../output/fields.js';
import { checkPrettyFormat, renderInspect } from '../output/inspect-format.js';
import { listFilters } from '../output/list-filters.js';
import { renderList, type ListFormatOptions } from '../output/list-format.js';
import { SERVICE_LIST } from '../output/swarm-list-contexts.js';
import { renderTaskList, taskFilters, taskRows, type TaskListOptions } from './task-list.js';
import { serviceSpecFromFlags, type ServiceCreateOptions } from './service-flags.js';
import { waitForConvergence } from './service-progress.js';
import { formatEndpointPretty } from './service-endpoint-format.js';
import { serviceSecretFields } from './secret.js';
import { serviceConfigFields } from './config.js';
import { eachTarget } from './each-target.js';

const modeWord = (s: Service | undefined) => (s?.spec?.mode === ServiceMode.SERVICE_MODE_GLOBAL ? 'global' : 'replicated');

/** `service ls` / `stack services`: sorted by name, docker's columns or the `--format` asked for. */
export function formatServiceList(views: readonly ServiceView[], opts: ListFormatOptions = {}): string {
  const sorted = [...views].sort((a, b) => (a.service?.spec?.annotations?.name ?? '').localeCompare(b.service?.spec?.annotations?.name ?? ''));
  return renderList(SERVICE_LIST, sorted, opts);
}

export function formatServicePretty(v: ServiceView): string {
  const s = v.service!;
  const c = s.spec?.task?.container;
  const restart = s.spec?.task?.restart;
  const constraints = s.spec?.task?.placement?.constraints ?? [];
  const update = s.updateStatus;
  return (
    renderFields(
      [
        ['ID', s.id],
        ['Name', s.spec?.annotations?.name ?? ''],
        ['Service Mode', modeWord(s) === 'global' ? 'Global' : 'Replicated'],
        ...(modeWord(s) === 'replicated' ? [[' Replicas', String(s.spec?.replicas ?? 0)] as const] : []),
        ...(update
          ? ([
              ['UpdateStatus', ''],
              [' State', update.state.replace('UPDATE_STATE_', '').toLowerCase().replace('_', ' ')],
              [' Started', update.startedAt ? new Date(update.startedAt).toISOString() : ''],
              ...(update.completedAt ? [[' Completed', new Date(update.completedAt).toISOString()] as const] : []),
              [' Message', update.message],
            ] as const)
          : []),
        ['Placement', ''],
        ...(constraints.length ? [[' Constraints', `[${constraints.join(' ')}]`] as const] : []),
        ['RestartPolicy', ''],
        [' Condition', (restart?.condition ?? '').replace('RESTART_CONDITION_', '').toLowerCase().replace('_', '-')],
        [' Delay', formatDuration(restart?.delayMs ?? 0)],
        [' Max attempts', String(restart?.maxAttempts ?? 0)],
        ['ContainerSpec', ''],
        [' Image', c?.image ?? ''],
        ...(c?.args.length ? [[' Args', c.args.join(' ')] as const] : []),
        ...(c?.command.length ? [[' Command', c.command.join(' ')] as const] : []),
        ...(c?.env.length ? [[' Env', c.env.join(' ')] as const] : []),
        ...serviceSecretFields(c?.secrets ?? []),
        ...serviceConfigFields(c?.configs ?? []),
      ],
      '',
    ) +
    formatEndpointPretty(s) +
    `Running: ${v.runningTasks}/${v.desiredTasks}\n`
  );
}

export async function serviceCreateCommand(ctx: CommandContext, image: string, args: string[], opts: ServiceCreateOptions): Promise<void> {
  let spec;
  try {
    // Checked here too, so a mistake is reported before anything is sent.
    spec = validateServiceSpec(serviceSpecFromFlags(opts, image, args));
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(err.message, 1);
    throw err;
  }
  const api = ctx.connect();
  try {
    const created = await api.createService({ spec });
    const id = created.service?.id ?? '';
    ctx.out(`${id}\n`);
    if (!opts.detach) await waitForConvergence(ctx, api, id);
  } finally {
    api.close();
  }
}

export async function serviceLsCommand(ctx: CommandContext, opts: { quiet?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const filters = listFilters('service', opts.filter);
  const api = ctx.connect();
  try {
    const views = (await api.listServices()).services.filter((v) => v.service && matchService(filters, v.service));
    ctx.out(formatServiceList(views, opts));
  } finally {
    api.close();
  }
}

export async function servicePsCommand(ctx: CommandContext, refs: string[], opts: TaskListOptions, now = Date.now()): Promise<void> {
  const { filters, desiredStates } = taskFilters(opts.filter);
  const api = ctx.connect();
  try {
    const rows = [];
    for (const ref of refs) rows.push(...taskRows(await api.listTasks({ service: ref, desiredStates }), filters, opts, now));
    ctx.out(renderTaskList(rows, opts));
  } finally {
    api.close();
  }
}

export async function serviceInspectCommand(ctx: CommandContext, refs: string[], opts: { pretty?: boolean; format?: string }): Promise<void> {
  checkPrettyFormat(opts);
  const api = ctx.connect();
  try {
    const views: ServiceView[] = [];
    for (const ref of refs) views.push(await api.getService(ref));
    if (opts.pretty) ctx.out(views.map(formatServicePretty).join('\n'));
    else ctx.out(renderInspect(views.map((v) => dockerService(v.service!)), opts.format));
  } finally {
    api.close();
  }
}

export function parseScaleArgs(args: readonly string[]): Array<{ service: string; replicas: number }> {
  return args.map((arg) => {
    const eq = arg.lastIndexOf('=');
    const service = arg.slice(0, Math.max(0, eq));
    const count = arg.slice(eq + 1);
    if (eq <= 0 || !/^\d+$/.test(count)) throw new CliError(`invalid scale specifier '${arg}': expected SERVICE=REPLICAS`, 2);
    return { service, replicas: Number(count) };
  });
}

export async function serviceScaleCommand(ctx: CommandContext, args: string[], opts: { detach?: boolean }): Promise<void> {
  const wanted = parseScaleArgs(args);
  const api = ctx.connect();
  try {
    await eachTarget(wanted, async ({ service, replicas }) => {
      const res = await api.scaleService(service, replicas);
      ctx.out(`${service} scaled to ${replicas}\n`);
      if (!opts.detach) await waitForConvergence(ctx, api, res.service?.id ?? service);
    });
  } finally {
    api.close();
  }
}

export async function serviceRmCommand(ctx: CommandContext, refs: string[]): Promise<void> {
  const api = ctx.connect();
  try {
    await eachTarget(refs, async (ref) => {
      await api.removeService(ref);
      ctx.out(`${ref}\n`);
    });
  } finally {
    api.close();
  }
}
