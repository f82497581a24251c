import { SpecError, validateNetworkSpec, type NetworkSpec, type NetworkView } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderFields } from '../output/fields.js';
import { dockerNetworkInspect, matchNetwork } from '@flotilla/docker-shape';
import { checkPrettyFormat, renderInspect } from '../output/inspect-format.js';
import { listFilters } from '../output/list-filters.js';
import { renderList, type ListFormatOptions } from '../output/list-format.js';
import { NETWORK_LIST } from '../output/object-list-contexts.js';
import { parseKeyValues } from './service-flags.js';
import { eachTarget } from './each-target.js';

export interface NetworkCreateOptions {
  driver?: string;
  subnet: string[];
  gateway: string[];
  attachable?: boolean;
  internal?: boolean;
  ingress?: boolean;
  label: string[];
}

const usage = (message: string) => new CliError(message, 2);

/**
 * Flags + NAME → the NetworkSpec sent to the daemon (validated here too, with the api's
 * validateNetworkSpec, so a mistake is reported before anything is sent). As docker: the n-th
 * --gateway belongs to the n-th --subnet; only the overlay driver exists in a swarm.
 */
export function networkSpecFromFlags(name: string, opts: NetworkCreateOptions): NetworkSpec {
  const driver = opts.driver ?? 'overlay';
  if (driver !== 'overlay') throw usage(`invalid argument "${driver}" for "--driver" flag: only the "overlay" driver is supported in a swarm`);
  if (opts.gateway.length > opts.subnet.length) throw usage('every --gateway needs a --subnet before it');
  if (opts.subnet.length > 1) throw usage('one --subnet per network (IPv4 only for now)');
  try {
    return validateNetworkSpec({
      annotations: { name, labels: parseKeyValues('--label', opts.label) },
      driver,
      ipam: opts.subnet.map((subnet, i) => ({ subnet, gateway: opts.gateway[i] ?? '', range: '' })),
      attachable: Boolean(opts.attachable),
      internal: Boolean(opts.internal),
      ingress: Boolean(opts.ingress),
    });
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(err.message, 1);
    throw err;
  }
}

/** `network ls`: by name, docker's columns or the `--format` asked for. */
export function formatNetworkList(views: readonly NetworkView[], opts: ListFormatOptions = {}): string {
  const sorted = [...views].sort((a, b) => (a.network?.spec?.annotations?.name ?? '').localeCompare(b.network?.spec?.annotations?.name ?? ''));
  return renderList(NETWORK_LIST, sorted, opts);
}

export function formatNetworkPretty(v: NetworkView): string {
  const n = v.network!;
  const ipam = n.status?.ipam?.[0];
  const labels = Object.entries(n.spec?.annotations?.labels ?? {});
  return renderFields(
    [
      ['ID', n.id],
      ['Name', n.spec?.annotations?.name ?? ''],
      ['Driver', n.spec?.driver ?? ''],
      ['Scope', 'swarm'],
      ['Attachable', String(n.spec?.attachable ?? false)],
      ['Internal', String(n.spec?.internal ?? false)],
      ['Ingress', String(n.spec?.ingress ?? false)],
      ...(labels.length ? ([['Labels', ''], ...labels.map(([k, val]) => [` ${k}`, val] as const)] as const) : []),
      ['IPAM', ''],
      [' Subnet', ipam?.subnet || '(not allocated yet)'],
      [' Gateway', ipam?.gateway ?? ''],
      ['VXLAN ID', n.status?.vxlanId ? String(n.status.vxlanId) : ''],
      ['Services', v.services.length ? '' : 'none'],
      ...v.services.map((s) => [` ${s.name}`, s.virtualIp ? `VIP ${s.virtualIp}` : 'no VIP (dnsrr, or not allocated yet)'] as const),
      ['Tasks', v.tasks.length ? '' : 'none'],
      ...v.tasks.map((t) => [` ${t.name}`, `${t.address} (task ${t.taskId.slice(0, 12)}${t.nodeId ? ` on ${t.nodeId.slice(0, 12)}` : ''})`] as const),
    ],
    '',
  );
}

/** docker network inspect's JSON: the network object, with the services attached beside it. */
export async function networkCreateCommand(ctx: CommandContext, name: string, opts: NetworkCreateOptions): Promise<void> {
  const spec = networkSpecFromFlags(name, opts);
  const api = ctx.connect();
  try {
    const created = await api.createNetwork({ spec });
    ctx.out(`${created.network?.id ?? ''}\n`);
  } finally {
    api.close();
  }
}

export async function networkLsCommand(ctx: CommandContext, opts: { quiet?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const filters = listFilters('network', opts.filter);
  const api = ctx.connect();
  try {
    ctx.out(formatNetworkList((await api.listNetworks()).networks.filter((v) => v.network && matchNetwork(filters, v)), opts));
  } finally {
    api.close();
  }
}

export async function networkInspectCommand(ctx: CommandContext, refs: string[], opts: { pretty?: boolean; format?: string; verbose?: boolean }): Promise<void> {
  checkPrettyFormat(opts);
  const api = ctx.connect();
  try {
    const views: NetworkView[] = [];
    for (const ref of refs) views.push(await api.getNetwork(ref));
    if (opts.pretty) ctx.out(views.map(formatNetworkPretty).join('\n'));
    else ctx.out(renderInspect(views.map((v) => dockerNetworkInspect(v, { verbose: Boolean(opts.verbose) })), opts.format));
  } finally {
    api.close();
  }
}

/** Removes each network in turn; like docker, one refusal does not stop the others, and the exit code says so. */
export async function networkRmCommand(ctx: CommandContext, refs: string[]): Promise<void> {
  const api = ctx.connect();
  try {
    await eachTarget(refs, async (ref) => {
      await api.removeNetwork(ref);
      ctx.out(`${ref}\n`);
    });
  } finally {
    api.close();
  }
}
