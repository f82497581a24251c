// stack deploy/ls/services/ps/rm/config and 1.12's deploy: the files are read and turned into
// specs here (@flotilla/stack); the manager gets one DeployStack call and writes the stack in
// one transaction. Output and exit codes follow docker's.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { StackChange, TaskState, ResolveImage, RestartCondition, type DeployStackResponse, type Service, type ServiceView } from '@flotilla/api';
import { convertStack, DEPRECATION_REASONS, formatProblem, loadBundle, loadCompose, printCompose, STACK_NAMESPACE_LABEL, StackFileErrors, type ComposeModel, type Position } from '@flotilla/stack';
import type { ControlApi } from '../client.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { matchService } from '@flotilla/docker-shape';
import { listFilters } from '../output/list-filters.js';
import { renderList } from '../output/list-format.js';
import { STACK_LIST } from '../output/object-list-contexts.js';
import { localImage } from './local-images.js';
import { progressOf } from './service-progress.js';
import { formatServiceList } from './service.js';
import { renderTaskList, taskFilters, taskRows, type TaskListOptions } from './task-list.js';

export interface StackIo {
  /** Reads standard input to the end (`-c -`). */
  stdin(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export interface DeployOptions {
  composeFile: string[];
  bundleFile?: string;
  prune?: boolean;
  resolveImage: string;
  detach?: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function checkStackName(name: string): void {
  if (!NAME.test(name)) throw new CliError(`invalid stack name ${JSON.stringify(name)}: use letters, digits, "_", "." and "-", starting with a letter or digit`, 1);
}

const readFileAt = (path: string): string => readFileSync(path, 'utf8');

type PositionOf = (path: readonly string[]) => Position | undefined;

/** The model from -c files (merged in order) or a bundle; file problems become one CliError listing each. */
export async function loadStackModel(io: StackIo, name: string, opts: Pick<DeployOptions, 'composeFile' | 'bundleFile'>, warn: (t: string) => void): Promise<ComposeModel> {
  return (await loadStack(io, name, opts, warn)).model;
}

async function loadStack(io: StackIo, name: string, opts: Pick<DeployOptions, 'composeFile' | 'bundleFile'>, warn: (t: string) => void): Promise<{ model: ComposeModel; positionOf: PositionOf }> {
  try {
    if (opts.bundleFile) {
      const path = resolve(io.cwd, opts.bundleFile);
      let text: string;
      try {
        text = readFileAt(path);
      } catch (err) {
        throw new CliError(`reading the bundle ${opts.bundleFile}: ${(err as Error).message}`, 1);
      }
      return { model: loadBundle(text, opts.bundleFile, name), positionOf: () => undefined };
    }
    if (opts.composeFile.length === 0) throw new CliError('please specify either a bundle file (with --bundle-file) or a Compose file (with --compose-file)', 1);
    const inputs: Array<{ file: string; text: string }> = [];
    for (const f of opts.composeFile) {
      try {
        inputs.push({ file: f, text: f === '-' ? await io.stdin() : readFileAt(resolve(io.cwd, f)) });
      } catch (err) {
        throw new CliError(`reading the compose file ${f}: ${(err as Error).message}`, 1);
      }
    }
    const first = opts.composeFile[0]!;
    const baseDir = first === '-' ? io.cwd : dirname(resolve(io.cwd, first));
    const loaded = loadCompose(inputs, { name, baseDir, env: io.env, readText: readFileAt });
    if (loaded.unsupported.length > 0) warn(`Ignoring unsupported options: ${loaded.unsupported.join(', ')}\n\n`);
    if (loaded.deprecated.length > 0) warn(`Ignoring deprecated options:\n\n${loaded.deprecated.map((k) => `${k}: ${DEPRECATION_REASONS[k] ?? ''}`).join('\n\n')}\n\n`);
    return { model: loaded.model, positionOf: loaded.positionOf };
  } catch (err) {
    if (err instanceof StackFileErrors) throw new CliError(err.message, 1);
    throw err;
  }
}

const RESOLVE: Record<string, ResolveImage> = { always: ResolveImage.RESOLVE_IMAGE_ALWAYS, changed: ResolveImage.RESOLVE_IMAGE_CHANGED, never: ResolveImage.RESOLVE_IMAGE_NEVER };

const stackServices = (views: readonly ServiceView[], name: string): ServiceView[] => views.filter((v) => v.service?.spec?.annotations?.labels[STACK_NAMESPACE_LABEL] === name);

export async function stackDeployCommand(ctx: CommandContext, io: StackIo, name: string, opts: DeployOptions): Promise<void> {
  checkStackName(name);
  const resolveImage = RESOLVE[opts.resolveImage];
  if (resolveImage === undefined) throw new CliError(`invalid option ${JSON.stringify(opts.resolveImage)} for flag --resolve-image: expected always, changed or never`, 2);
  if (opts.bundleFile && opts.composeFile.length > 0) throw new CliError('you cannot specify both a bundle file and a Compose file', 1);
  const { model, positionOf } = await loadStack(io, name, opts, ctx.warn);
  const { request, problems } = convertStack(model, { readBytes: (p) => readFileSync(p) });
  if (problems.length > 0) throw new CliError(problems.map((p) => p.message).join('\n'), 1);
  request.prune = Boolean(opts.prune);
  request.resolveImage = resolveImage;

  const api = ctx.connect();
  try {
    if (resolveImage !== ResolveImage.RESOLVE_IMAGE_NEVER) await checkImages(ctx, api, request.services.map((s) => [s.annotations?.name ?? '', s.task?.container?.image ?? '']), resolveImage);
    const res = await api.deployStack(request).catch((err: unknown) => {
      throw placeRefusal(err, name, positionOf);
    });
    printChanges(ctx, res);
    if (opts.detach) return;
    const changed = res.changes.filter((c) => c.kind === 'service' && (c.change === StackChange.STACK_CHANGE_CREATED || c.change === StackChange.STACK_CHANGE_UPDATED)).map((c) => c.id);
    await waitForStack(ctx, api, changed);
  } finally {
    api.close();
  }
}

/** Warns (like docker when a registry cannot be asked) about images the local engine does not have; never pulls. */
async function checkImages(ctx: CommandContext, api: ControlApi, images: Array<[string, string]>, mode: ResolveImage): Promise<void> {
  let current = new Map<string, string>();
  if (mode === ResolveImage.RESOLVE_IMAGE_CHANGED) current = new Map((await api.listServices()).services.map((v) => [v.service?.spec?.annotations?.name ?? '', v.service?.spec?.task?.container?.image ?? '']));
  for (const [service, image] of images) {
    if (mode === ResolveImage.RESOLVE_IMAGE_CHANGED && current.get(service) === image) continue;
    const found = await localImage(image);
    if (found === 'unreachable') {
      ctx.warn('the local Docker Engine could not be asked about images (--resolve-image checks it only; nothing is pulled)\n');
      return;
    }
    if (found === 'missing') ctx.warn(`image ${image} could not be found on the local engine. Each node will look for ${image} itself, possibly leading to different nodes running different versions of the image.\n`);
  }
}

/**
 * The manager's refusal of a service's published port names the service; the file knows where its
 * ports are: say it as file:line: key like the file's own problems.
 */
export function placeRefusal(err: unknown, stack: string, positionOf: PositionOf): unknown {
  if (!(err instanceof CliError)) return err;
  const m = new RegExp(`^service ${stack}_(\\S+): (port \\d+/(tcp|udp) .*)$`).exec(err.message);
  if (!m) return err;
  const key = ['services', m[1]!, 'ports'];
  const where = positionOf(key);
  return where ? new CliError(formatProblem(key.join('.'), m[2]!, where), err.exitCode) : err;
}

function printChanges(ctx: CommandContext, res: DeployStackResponse): void {
  for (const c of res.changes) {
    if (c.change === StackChange.STACK_CHANGE_CREATED) ctx.out(`Creating ${c.kind} ${c.name}\n`);
    else if (c.change === StackChange.STACK_CHANGE_UPDATED) ctx.out(`Updating ${c.kind} ${c.name} (id: ${c.id})\n`);
    else if (c.change === StackChange.STACK_CHANGE_REMOVED) ctx.out(`Removing ${c.kind} ${c.name}\n`);
  }
}

const POLL_MS = 500;
/** Rejected tasks of one service (this spec version) after which waiting cannot help. */
const REJECTIONS_BEFORE_GIVING_UP = 3;
const GIVE_UP_MS = 300_000;

/** A service that runs to completion (restart none or on-failure) is done when its tasks completed. */
function settled(service: Service, tasks: Parameters<typeof progressOf>[1]): { done: boolean; line: string; failure?: string } {
  const name = service.spec?.annotations?.name ?? service.id;
  const waiting = service.dependencies?.waitingFor;
  if (waiting) return { done: false, line: `${name}: waiting for ${waiting}` };
  const p = progressOf(service, tasks);
  if (p.failure) {
    // Many tasks start at once in a stack: a rejection the restart policy will retry is shown,
    // not fatal, unless nothing will retry it or it keeps happening (a missing image).
    const rejected = tasks.filter((t) => t.status?.state === TaskState.TASK_STATE_REJECTED && t.specVersion === service.specVersion).length;
    const retried = service.spec?.task?.restart?.condition !== RestartCondition.RESTART_CONDITION_NONE;
    return { done: false, line: `${name}: ${p.failure}`, ...(!retried || rejected >= REJECTIONS_BEFORE_GIVING_UP ? { failure: p.failure } : {}) };
  }
  const job = service.spec?.task?.restart?.condition !== RestartCondition.RESTART_CONDITION_ANY;
  const completed = new Set(tasks.filter((t) => t.status?.state === TaskState.TASK_STATE_COMPLETE && t.specVersion === service.specVersion).map((t) => t.slot)).size;
  if (job && p.desired > 0 && completed >= p.desired) return { done: true, line: `${name}: ${completed} out of ${p.desired} tasks completed` };
  const updating = service.updateStatus?.state === 'UPDATE_STATE_UPDATING';
  return { done: p.converged && !updating, line: `${name}: ${p.running} out of ${p.desired} tasks running${updating ? ' (updating)' : ''}` };
}

/** Like `service create` without -d: a line per service whenever its state changes, until all converge. */
async function waitForStack(ctx: CommandContext, api: ControlApi, serviceIds: readonly string[]): Promise<void> {
  if (serviceIds.length === 0) return;
  const shown = new Map<string, string>();
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    let all = true;
    for (const id of serviceIds) {
      const res = await api.listTasks({ service: id, desiredStates: [] });
      const state = settled(res.service!, res.tasks);
      if (shown.get(id) !== state.line) {
        ctx.out(`${state.line}\n`);
        shown.set(id, state.line);
      }
      if (state.failure) throw new CliError(state.failure, 1);
      all &&= state.done;
    }
    if (all) return;
    if (Date.now() > deadline) throw new CliError(`the stack did not converge within ${GIVE_UP_MS / 1000}s; see 'flotilla stack ps'`, 1);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** docker 1.12's `docker deploy NAME`: the bundle NAME.dab in the current directory. */
export async function deployBundleCommand(ctx: CommandContext, io: StackIo, name: string, opts: Omit<DeployOptions, 'composeFile' | 'bundleFile'> & { bundleFile?: string }): Promise<void> {
  const bundleFile = opts.bundleFile ?? `${name}.dab`;
  ctx.out(`Loading bundle from ${bundleFile}\n`);
  await stackDeployCommand(ctx, io, name, { ...opts, composeFile: [], bundleFile });
}

export async function stackLsCommand(ctx: CommandContext, opts: { format?: string } = {}): Promise<void> {
  const api = ctx.connect();
  try {
    const counts = new Map<string, number>();
    for (const v of (await api.listServices()).services) {
      const ns = v.service?.spec?.annotations?.labels[STACK_NAMESPACE_LABEL];
      if (ns) counts.set(ns, (counts.get(ns) ?? 0) + 1);
    }
    const rows = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, services]) => ({ name, services }));
    ctx.out(renderList(STACK_LIST, rows, opts));
  } finally {
    api.close();
  }
}

function nothingFound(name: string): CliError {
  return new CliError(`Nothing found in stack: ${name}`, 1);
}

export async function stackServicesCommand(ctx: CommandContext, name: string, opts: { quiet?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const filters = listFilters('service', opts.filter);
  const api = ctx.connect();
  try {
    const views = stackServices((await api.listServices()).services, name);
    if (views.length === 0) throw nothingFound(name);
    ctx.out(formatServiceList(views.filter((v) => v.service && matchService(filters, v.service)), opts));
  } finally {
    api.close();
  }
}

export async function stackPsCommand(ctx: CommandContext, name: string, opts: TaskListOptions, now = Date.now()): Promise<void> {
  const { filters, desiredStates } = taskFilters(opts.filter);
  const api = ctx.connect();
  try {
    const views = stackServices((await api.listServices()).services, name).sort((a, b) => (a.service?.spec?.annotations?.name ?? '').localeCompare(b.service?.spec?.annotations?.name ?? ''));
    if (views.length === 0) throw nothingFound(name);
    const rows = [];
    for (const v of views) rows.push(...taskRows(await api.listTasks({ service: v.service!.id, desiredStates }), filters, opts, now));
    if (rows.length === 0 && !opts.quiet) {
      ctx.warn(`nothing found in stack: ${name}\n`);
      return;
    }
    ctx.out(renderTaskList(rows, opts));
  } finally {
    api.close();
  }
}

/** Beyond the longest stop grace period of the removed services, how long tasks may take to leave their networks. */
const TASKS_GONE_MARGIN_MS = 30_000;

/**
 * docker stack rm: services, then (once their tasks have left the networks) networks, then
 * secrets and configs the stack created. Each removal is printed; a refusal does not stop the
 * rest, and the exit code says so.
 */
export async function stackRmCommand(ctx: CommandContext, names: string[]): Promise<void> {
  const api = ctx.connect();
  let failed = false;
  try {
    for (const name of names) {
      const mine = <T extends { spec?: { annotations?: { labels: Record<string, string> } } }>(o: T | undefined) => o?.spec?.annotations?.labels[STACK_NAMESPACE_LABEL] === name;
      const services = (await api.listServices()).services.map((v) => v.service!).filter(mine);
      const networks = (await api.listNetworks()).networks.map((v) => v.network!).filter(mine);
      const secrets = (await api.listSecrets()).secrets.filter(mine);
      const configs = (await api.listConfigs()).configs.filter(mine);
      if (services.length + networks.length + secrets.length + configs.length === 0) {
        ctx.warn(`Nothing found in stack: ${name}\n`);
        continue;
      }
      const attempt = async (what: string, fn: () => Promise<unknown>) => {
        ctx.out(`Removing ${what}\n`);
        try {
          await fn();
        } catch (err) {
          failed = true;
          ctx.warn(`Failed to remove ${what}: ${(err as Error).message}\n`);
        }
      };
      for (const s of services.sort((a, b) => (a.spec?.annotations?.name ?? '').localeCompare(b.spec?.annotations?.name ?? ''))) await attempt(`service ${s.spec?.annotations?.name}`, () => api.removeService(s.id));
      // A network is refused while a task is still on it: wait for the removed services' tasks to stop,
      // as long as their longest stop grace period allows (and a margin).
      const grace = Math.max(0, ...services.map((s) => (s.spec?.task?.container?.hasStopGracePeriod ? s.spec.task.container.stopGracePeriodMs : 10_000)));
      const deadline = Date.now() + grace + TASKS_GONE_MARGIN_MS;
      for (const n of networks) {
        for (;;) {
          const view = await api.getNetwork(n.id).catch(() => undefined);
          if (!view || view.tasks.length === 0 || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        await attempt(`network ${n.spec?.annotations?.name}`, () => api.removeNetwork(n.id));
      }
      for (const s of secrets) await attempt(`secret ${s.spec?.annotations?.name}`, () => api.removeSecret(s.id));
      for (const c of configs) await attempt(`config ${c.spec?.annotations?.name}`, () => api.removeConfig(c.id));
    }
  } finally {
    api.close();
  }
  if (failed) throw new CliError('some objects of the stack could not be removed', 1);
}

/** `stack config`: the merged, interpolated file as `docker compose config` prints it. Needs no daemon. */
export async function stackConfigCommand(ctx: CommandContext, io: StackIo, opts: { composeFile: string[] }): Promise<void> {
  const first = opts.composeFile[0];
  if (!first) throw new CliError('please specify a Compose file (with --compose-file)', 1);
  const name = first === '-' ? basename(io.cwd) : basename(dirname(resolve(io.cwd, first)));
  const model = await loadStackModel(io, name.toLowerCase().replace(/[^a-z0-9_-]/g, ''), opts, ctx.warn);
  ctx.out(printCompose(model));
}
