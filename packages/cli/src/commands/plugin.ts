// plugin install/ls/inspect/enable/disable/rm/set/upgrade/create, as docker's. What a plugin
// asks for is shown and granted here, on the operator's terminal; the daemon refuses a plugin
// whose config needs more than the grant it is sent.
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import type { Plugin, PluginPrivilege } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { dockerPlugin, matchPlugin } from '@flotilla/docker-shape';
import { renderInspect } from '../output/inspect-format.js';
import { listFilters } from '../output/list-filters.js';
import { renderList, type ListFormatOptions } from '../output/list-format.js';
import { PLUGIN_LIST } from '../output/object-list-contexts.js';
import { eachTarget } from './each-target.js';

/** Same cap as the daemon's (the store's): a larger rootfs is refused before it is sent. */
const MAX_ROOTFS_BYTES = 768 * 1024;
const DEFAULT_ENABLE_TIMEOUT_MS = 30_000;

// @flotilla/plugins (with node-tar) is loaded only by plugin commands, keeping other commands' start-up small.
const pluginsLib = () => import('@flotilla/plugins');

const usage = (message: string) => new CliError(message, 2);

interface Source {
  configJson: string;
  rootfs: Buffer;
  image: string;
  /** Name it gets without --alias. */
  defaultName: string;
}

async function readSource(ctx: CommandContext, src: string): Promise<Source> {
  const lib = await pluginsLib();
  const local = await stat(src).catch(() => undefined);
  if (local) {
    try {
      const read = await lib.readPluginSource(src, MAX_ROOTFS_BYTES);
      const base = basename(src.replace(/\/+$/, '')).replace(/\.(tar\.gz|tgz|tar)$/, '');
      return { configJson: read.configJson, rootfs: read.rootfs, image: '', defaultName: base };
    } catch (err) {
      if (err instanceof lib.PluginSourceError || err instanceof lib.PluginConfigError) throw new CliError(err.message);
      throw err;
    }
  }
  if (src.startsWith('.') || src.startsWith('/')) throw new CliError(`${src}: no such file or directory`);
  // Not a path: a local image carrying /config.json (the daemon reads it; nothing is pulled).
  const api = ctx.connect();
  try {
    const { configJson } = await api.pluginPrivileges(src);
    return { configJson, rootfs: Buffer.alloc(0), image: src, defaultName: src.replace(/^.*\//, '').replace(/:[^:]*$/, '') };
  } finally {
    api.close();
  }
}

/** Docker's question; only y or yes (any case) grants, end of input refuses. */
export async function askToGrant(ctx: CommandContext, name: string, privileges: readonly PluginPrivilege[], formatPrivileges: (p: readonly PluginPrivilege[]) => string): Promise<boolean> {
  ctx.out(`Plugin "${name}" is requesting the following privileges:\n${formatPrivileges(privileges)}`);
  ctx.out('Do you grant the above permissions? [y/N] ');
  const answer = ctx.readLine ? await ctx.readLine() : undefined;
  if (answer === undefined) ctx.out('\n');
  return answer !== undefined && /^\s*(y|yes)\s*$/i.test(answer);
}

async function privilegesFor(configJson: string, settings: readonly string[]): Promise<PluginPrivilege[]> {
  const lib = await pluginsLib();
  try {
    return lib.privilegesOf(lib.applySettings(lib.parsePluginConfig(configJson), settings));
  } catch (err) {
    if (err instanceof lib.PluginConfigError || err instanceof lib.PluginSettingError) throw new CliError(err.message);
    throw err;
  }
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_ENABLE_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds <= 0) throw usage(`invalid argument "${raw}" for "--timeout" flag: expected a whole number of seconds`);
  return seconds * 1000;
}

export interface PluginInstallOptions {
  grantAllPermissions?: boolean;
  disable?: boolean;
  alias?: string;
}

export async function pluginInstallCommand(ctx: CommandContext, src: string, settings: string[], opts: PluginInstallOptions): Promise<void> {
  const lib = await pluginsLib();
  const source = await readSource(ctx, src);
  let name: string;
  try {
    name = lib.normalizePluginName(opts.alias ?? source.defaultName);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const privileges = await privilegesFor(source.configJson, settings);
  if (privileges.length > 0 && !opts.grantAllPermissions && !(await askToGrant(ctx, name, privileges, lib.formatPrivileges))) {
    throw new CliError(`permission denied while installing plugin ${name}`);
  }
  const api = ctx.connect();
  try {
    await api.installPlugin({
      name,
      configJson: source.configJson,
      rootfs: source.rootfs,
      image: source.image,
      granted: privileges,
      settings,
      disable: Boolean(opts.disable),
      source: src,
      timeoutMs: DEFAULT_ENABLE_TIMEOUT_MS,
    });
    ctx.out(`Installed plugin ${name}\n`);
  } finally {
    api.close();
  }
}

export async function pluginUpgradeCommand(ctx: CommandContext, ref: string, src: string, opts: { grantAllPermissions?: boolean }): Promise<void> {
  const lib = await pluginsLib();
  const source = await readSource(ctx, src);
  const api = ctx.connect();
  try {
    const current = await api.getPlugin(ref);
    const name = current.spec?.name ?? ref;
    const privileges = await privilegesFor(source.configJson, current.spec?.settings ?? []);
    const added = lib.missingPrivileges(privileges, current.spec?.granted ?? []);
    ctx.out(`Upgrading plugin ${name} from ${current.spec?.source || 'its current version'} to ${src}\n`);
    if (added.length > 0) ctx.out(`It now asks for more than was granted:\n${lib.formatPrivileges(added)}`);
    if (privileges.length > 0 && !opts.grantAllPermissions && !(await askToGrant(ctx, name, privileges, lib.formatPrivileges))) {
      throw new CliError(`permission denied while upgrading plugin ${name}`);
    }
    await api.upgradePlugin({ plugin: current.id, configJson: source.configJson, rootfs: source.rootfs, image: source.image, granted: privileges, source: src });
    ctx.out(`Upgraded plugin ${name} to ${src}\n`);
  } finally {
    api.close();
  }
}

/** plugin create NAME DIR: a folder with config.json and rootfs/, installed disabled and without asking (docker's). */
export async function pluginCreateCommand(ctx: CommandContext, name: string, dir: string): Promise<void> {
  const lib = await pluginsLib();
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo?.isDirectory()) throw new CliError(`${dir}: not a folder with config.json and rootfs/`);
  const source = await readSource(ctx, dir);
  let normalized: string;
  try {
    normalized = lib.normalizePluginName(name);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  // docker plugin create grants what the config asks: the operator wrote that config.
  const privileges = await privilegesFor(source.configJson, []);
  const api = ctx.connect();
  try {
    await api.installPlugin({ name: normalized, configJson: source.configJson, rootfs: source.rootfs, image: '', granted: privileges, settings: [], disable: true, source: dir, timeoutMs: 0 });
    ctx.out(`${normalized}\n`);
  } finally {
    api.close();
  }
}


function descriptionOf(p: Plugin): string {
  try {
    return String((JSON.parse(p.spec?.configJson ?? '{}') as { description?: unknown }).description ?? '');
  } catch {
    return '';
  }
}

/** `plugin ls`: by name, docker's columns or the `--format` asked for. */
export function formatPluginList(plugins: readonly Plugin[], opts: ListFormatOptions & { noTrunc?: boolean } = {}): string {
  const sorted = [...plugins].sort((a, b) => (a.spec?.name ?? '').localeCompare(b.spec?.name ?? ''));
  return renderList(PLUGIN_LIST, sorted.map((plugin) => ({ plugin, description: descriptionOf(plugin), noTrunc: Boolean(opts.noTrunc) })), opts);
}

export async function pluginLsCommand(ctx: CommandContext, opts: { quiet?: boolean; filter?: string[]; format?: string; trunc?: boolean }): Promise<void> {
  const filters = listFilters('plugin', opts.filter);
  const api = ctx.connect();
  try {
    const plugins = (await api.listPlugins()).plugins.filter((p) => matchPlugin(filters, p));
    ctx.out(formatPluginList(plugins, { quiet: opts.quiet, format: opts.format, noTrunc: opts.trunc === false }));
  } finally {
    api.close();
  }
}

/** docker's types.Plugin, its Settings the values in force (the config with the plugin's settings applied). */
export async function inspectedPlugin(p: Plugin): Promise<Record<string, unknown>> {
  const { applySettings, parsePluginConfig } = await pluginsLib();
  try {
    return dockerPlugin(p, applySettings(parsePluginConfig(p.spec?.configJson ?? '{}'), p.spec?.settings ?? []));
  } catch {
    // a config the daemon accepted but this CLI cannot read: no effective settings to show
    return dockerPlugin(p);
  }
}

export async function pluginInspectCommand(ctx: CommandContext, refs: string[], opts: { format?: string }): Promise<void> {
  const api = ctx.connect();
  try {
    const plugins: Record<string, unknown>[] = [];
    for (const ref of refs) plugins.push(await inspectedPlugin(await api.getPlugin(ref)));
    ctx.out(renderInspect(plugins, opts.format));
  } finally {
    api.close();
  }
}

export async function pluginEnableCommand(ctx: CommandContext, ref: string, opts: { timeout?: string }): Promise<void> {
  const timeoutMs = parseTimeout(opts.timeout);
  const api = ctx.connect();
  try {
    await api.enablePlugin(ref, timeoutMs);
    ctx.out(`${ref}\n`);
  } finally {
    api.close();
  }
}

export async function pluginDisableCommand(ctx: CommandContext, ref: string, opts: { force?: boolean }): Promise<void> {
  const api = ctx.connect();
  try {
    await api.disablePlugin(ref, Boolean(opts.force));
    ctx.out(`${ref}\n`);
  } finally {
    api.close();
  }
}

export async function pluginRmCommand(ctx: CommandContext, refs: string[], opts: { force?: boolean }): Promise<void> {
  const api = ctx.connect();
  try {
    await eachTarget(refs, async (ref) => {
      await api.removePlugin(ref, Boolean(opts.force));
      ctx.out(`${ref}\n`);
    });
  } finally {
    api.close();
  }
}

export async function pluginSetCommand(ctx: CommandContext, ref: string, settings: string[]): Promise<void> {
  if (settings.length === 0) throw usage('"plugin set" requires at least one KEY=VALUE');
  const api = ctx.connect();
  try {
    await api.setPlugin(ref, settings);
  } finally {
    api.close();
  }
}
