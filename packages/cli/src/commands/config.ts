import { SpecError, type Config, validateConfigSpec, type ConfigSpec } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderFields } from '../output/fields.js';
import { dockerConfig, matchConfig } from '@flotilla/docker-shape';
import { checkPrettyFormat, renderInspect } from '../output/inspect-format.js';
import { listFilters } from '../output/list-filters.js';
import { renderList, type ListFormatOptions } from '../output/list-format.js';
import { CONFIG_LIST } from '../output/object-list-contexts.js';
import { eachTarget } from './each-target.js';
import type { ReadSecretInput } from './secret.js';
import { parseKeyValues } from './service-flags.js';

export function configSpecFromInput(name: string, labels: readonly string[], data: Buffer): ConfigSpec {
  try {
    return validateConfigSpec({ annotations: { name, labels: parseKeyValues('--label', labels) }, data });
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(err.message, 1);
    throw err;
  }
}

/** `config ls`: by name, docker's columns or the `--format` asked for. */
export function formatConfigList(configs: readonly Config[], opts: ListFormatOptions, now: number): string {
  const sorted = [...configs].sort((a, b) => (a.spec?.annotations?.name ?? '').localeCompare(b.spec?.annotations?.name ?? ''));
  return renderList(CONFIG_LIST, sorted.map((item) => ({ item, now })), opts);
}

/** docker config inspect --pretty: the fields, then the data as text. */
export function formatConfigPretty(c: Config): string {
  const labels = Object.entries(c.spec?.annotations?.labels ?? {});
  return (
    renderFields(
      [
        ['ID', c.id],
        ['Name', c.spec?.annotations?.name ?? ''],
        ...(labels.length ? ([['Labels', ''], ...labels.map(([k, v]) => [` - ${k}`, v] as const)] as const) : []),
        ['Created at', new Date(c.meta?.createdAt ?? 0).toISOString()],
        ['Updated at', new Date(c.meta?.updatedAt ?? 0).toISOString()],
        ['Data', ''],
      ],
      '',
    ) + Buffer.from(c.spec?.data ?? new Uint8Array()).toString('utf8')
  );
}

export async function configCreateCommand(ctx: CommandContext, read: ReadSecretInput, name: string, source: string, opts: { label: string[] }): Promise<void> {
  let data: Buffer;
  try {
    data = await read(source);
  } catch (err) {
    throw new CliError(`reading the config data from ${source === '-' ? 'standard input' : source}: ${(err as Error).message}`, 1);
  }
  const spec = configSpecFromInput(name, opts.label, data);
  const api = ctx.connect();
  try {
    ctx.out(`${(await api.createConfig({ spec })).id}\n`);
  } finally {
    api.close();
  }
}

export async function configLsCommand(ctx: CommandContext, opts: { quiet?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const filters = listFilters('config', opts.filter);
  const api = ctx.connect();
  try {
    ctx.out(formatConfigList((await api.listConfigs()).configs.filter((c) => matchConfig(filters, c)), opts, Date.now()));
  } finally {
    api.close();
  }
}

export async function configInspectCommand(ctx: CommandContext, refs: string[], opts: { pretty?: boolean; format?: string }): Promise<void> {
  checkPrettyFormat(opts);
  const api = ctx.connect();
  try {
    const configs: Config[] = [];
    for (const ref of refs) configs.push(await api.getConfig(ref));
    if (opts.pretty) ctx.out(configs.map(formatConfigPretty).join('\n\n') + '\n');
    // docker's shape: Spec.Data is the bytes, base64 in JSON.
    else ctx.out(renderInspect(configs.map(dockerConfig), opts.format));
  } finally {
    api.close();
  }
}

export async function configRmCommand(ctx: CommandContext, refs: string[]): Promise<void> {
  const api = ctx.connect();
  try {
    await eachTarget(refs, async (ref) => {
      await api.removeConfig(ref);
      ctx.out(`${ref}\n`);
    });
  } finally {
    api.close();
  }
}

/** The Configs lines of `service inspect --pretty`. */
export function serviceConfigFields(refs: readonly { target: string; configName: string }[]): Array<readonly [string, string]> {
  if (refs.length === 0) return [];
  return [[' Configs', ''], ...refs.flatMap((r) => [['  Target', r.target] as const, ['  Source', r.configName] as const])];
}
