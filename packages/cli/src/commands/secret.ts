import { SpecError, type Secret, validateSecretSpec, type SecretSpec } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderFields } from '../output/fields.js';
import { dockerSecret, matchSecret } from '@flotilla/docker-shape';
import { checkPrettyFormat, renderInspect } from '../output/inspect-format.js';
import { listFilters } from '../output/list-filters.js';
import { renderList, type ListFormatOptions } from '../output/list-format.js';
import { SECRET_LIST } from '../output/object-list-contexts.js';
import { parseKeyValues } from './service-flags.js';
import { eachTarget } from './each-target.js';

/** Reads the value: a file path, or "-" for standard input. */
export type ReadSecretInput = (source: string) => Promise<Buffer>;

export function secretSpecFromInput(name: string, labels: readonly string[], data: Buffer): SecretSpec {
  try {
    return validateSecretSpec({ annotations: { name, labels: parseKeyValues('--label', labels) }, data });
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(err.message, 1);
    throw err;
  }
}

/** `secret ls`: by name, docker's columns (DRIVER included) or the `--format` asked for. */
export function formatSecretList(secrets: readonly Secret[], opts: ListFormatOptions, now: number): string {
  const sorted = [...secrets].sort((a, b) => (a.spec?.annotations?.name ?? '').localeCompare(b.spec?.annotations?.name ?? ''));
  return renderList(SECRET_LIST, sorted.map((item) => ({ item, now })), opts);
}

export function formatSecretPretty(s: Secret): string {
  const labels = Object.entries(s.spec?.annotations?.labels ?? {});
  return renderFields(
    [
      ['ID', s.id],
      ['Name', s.spec?.annotations?.name ?? ''],
      ...(labels.length ? ([['Labels', ''], ...labels.map(([k, v]) => [` - ${k}`, v] as const)] as const) : []),
      ['Size', `${s.size} bytes`],
      ['Created at', new Date(s.meta?.createdAt ?? 0).toISOString()],
      ['Updated at', new Date(s.meta?.updatedAt ?? 0).toISOString()],
    ],
    '',
  );
}

/** docker secret inspect's JSON: the object without any value (the daemon never sends one). */
export async function secretCreateCommand(ctx: CommandContext, read: ReadSecretInput, name: string, source: string, opts: { label: string[] }): Promise<void> {
  let data: Buffer;
  try {
    data = await read(source);
  } catch (err) {
    throw new CliError(`reading the secret value from ${source === '-' ? 'standard input' : source}: ${(err as Error).message}`, 1);
  }
  const spec = secretSpecFromInput(name, opts.label, data);
  const api = ctx.connect();
  try {
    const created = await api.createSecret({ spec });
    ctx.out(`${created.id}\n`);
  } finally {
    api.close();
  }
}

export async function secretLsCommand(ctx: CommandContext, opts: { quiet?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const filters = listFilters('secret', opts.filter);
  const api = ctx.connect();
  try {
    ctx.out(formatSecretList((await api.listSecrets()).secrets.filter((s) => matchSecret(filters, s)), opts, Date.now()));
  } finally {
    api.close();
  }
}

export async function secretInspectCommand(ctx: CommandContext, refs: string[], opts: { pretty?: boolean; format?: string }): Promise<void> {
  checkPrettyFormat(opts);
  const api = ctx.connect();
  try {
    const secrets: Secret[] = [];
    for (const ref of refs) secrets.push(await api.getSecret(ref));
    if (opts.pretty) ctx.out(secrets.map(formatSecretPretty).join('\n'));
    else ctx.out(renderInspect(secrets.map(dockerSecret), opts.format));
  } finally {
    api.close();
  }
}

/** Removes each secret in turn; like docker, one refusal does not stop the others, and the exit code says so. */
export async function secretRmCommand(ctx: CommandContext, refs: string[]): Promise<void> {
  const api = ctx.connect();
  try {
    await eachTarget(refs, async (ref) => {
      await api.removeSecret(ref);
      ctx.out(`${ref}\n`);
    });
  } finally {
    api.close();
  }
}

/** The Secrets lines of `service inspect --pretty` (docker's: target file and source secret). */
export function serviceSecretFields(refs: readonly { target: string; secretName: string }[]): Array<readonly [string, string]> {
  if (refs.length === 0) return [];
  return [[' Secrets', ''], ...refs.flatMap((r) => [['  Target', r.target] as const, ['  Source', r.secretName] as const])];
}
