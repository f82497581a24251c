import { Node, NodeAvailability, NodeRole, NodeState, type NodeView } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderFields } from '../output/fields.js';
import { renderTable } from '../output/table.js';
import { parseKeyValues } from './service-flags.js';
import { parseRole } from './node-role.js';

const word = (value: string, prefix: string) => {
  const w = value.replace(prefix, '').toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
};

export function managerStatusOf(v: NodeView): string {
  if (v.node?.role !== NodeRole.NODE_ROLE_MANAGER) return '';
  if (v.leader) return 'Leader';
  return v.reachable ? 'Reachable' : 'Unreachable';
}

export function formatNodeList(views: readonly NodeView[], quiet: boolean): string {
  const sorted = [...views].sort((a, b) => (a.node?.description?.hostname ?? '').localeCompare(b.node?.description?.hostname ?? '') || (a.node?.id ?? '').localeCompare(b.node?.id ?? ''));
  if (quiet) return sorted.map((v) => `${v.node?.id}\n`).join('');
  return renderTable(
    ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'],
    sorted.map((v) => [
      `${v.node?.id ?? ''}${v.self ? ' *' : ''}`,
      v.node?.description?.hostname ?? '',
      word(v.node?.status?.state ?? NodeState.NODE_STATE_UNKNOWN, 'NODE_STATE_'),
      word(v.node?.spec?.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE, 'NODE_AVAILABILITY_'),
      managerStatusOf(v),
      v.node?.description?.engine?.engineVersion ?? '',
    ]),
  );
}

export function formatNodePretty(v: NodeView): string {
  const n = v.node!;
  const labels = Object.entries(n.spec?.annotations?.labels ?? {});
  return (
    renderFields(
      [
        ['ID', n.id],
        ['Hostname', n.description?.hostname ?? ''],
        ['Joined at', n.meta?.createdAt ? new Date(n.meta.createdAt).toISOString() : ''],
      ],
      '',
    ) +
    'Status:\n' +
    renderFields(
      [
        ['State', word(n.status?.state ?? NodeState.NODE_STATE_UNKNOWN, 'NODE_STATE_')],
        ['Availability', word(n.spec?.availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE, 'NODE_AVAILABILITY_')],
        ['Address', n.status?.addr ?? ''],
      ],
      ' ',
    ) +
    (n.role === NodeRole.NODE_ROLE_MANAGER
      ? 'Manager Status:\n' + renderFields([['Address', n.managerStatus?.addr ?? ''], ['Raft Status', managerStatusOf(v) === 'Unreachable' ? 'Unreachable' : 'Reachable'], ['Leader', v.leader ? 'Yes' : 'No']], ' ')
      : '') +
    (labels.length ? 'Labels:\n' + labels.map(([k, val]) => ` - ${k}=${val}\n`).join('') : '') +
    'Platform:\n' +
    renderFields([['Operating System', n.description?.platform?.os ?? ''], ['Architecture', n.description?.platform?.architecture ?? '']], ' ') +
    'Engine Version: ' + (n.description?.engine?.engineVersion ?? '') + '\n' +
    formatTlsInfo(n)
  );
}

/** docker's "TLS Info" block: who issued the node's current certificate and when it expires. */
export function formatTlsInfo(n: Node): string {
  if (!n.tlsInfo) return '';
  const expiry = n.tlsInfo.certNotAfter ? new Date(n.tlsInfo.certNotAfter).toISOString() : '';
  return 'TLS Info:\n' + renderFields([['Issuer Subject', n.tlsInfo.certIssuerSubject], ['Certificate Expiry', expiry]], ' ');
}

export async function nodeLsCommand(ctx: CommandContext, opts: { quiet?: boolean }): Promise<void> {
  const api = ctx.connect();
  try {
    ctx.out(formatNodeList((await api.listNodes()).nodes, Boolean(opts.quiet)));
  } finally {
    api.close();
  }
}

export async function nodeInspectCommand(ctx: CommandContext, refs: string[], opts: { pretty?: boolean }): Promise<void> {
  const api = ctx.connect();
  try {
    const views = [];
    for (const ref of refs.length ? refs : ['self']) views.push(ref === 'self' ? await selfNode(api) : await api.getNode(ref));
    if (opts.pretty) ctx.out(views.map(formatNodePretty).join('\n'));
    else ctx.out(`${JSON.stringify(views.map((v) => Node.toJSON(v.node!)), null, 4)}\n`);
  } finally {
    api.close();
  }
}

export async function selfNode(api: ReturnType<CommandContext['connect']>): Promise<NodeView> {
  const self = (await api.listNodes()).nodes.find((v) => v.self);
  if (!self) throw new CliError('this node is not in the node list');
  return self;
}

const AVAILABILITY: Record<string, NodeAvailability> = {
  active: NodeAvailability.NODE_AVAILABILITY_ACTIVE,
  pause: NodeAvailability.NODE_AVAILABILITY_PAUSE,
  drain: NodeAvailability.NODE_AVAILABILITY_DRAIN,
};

export async function nodeUpdateCommand(ctx: CommandContext, ref: string, opts: { availability?: string; labelAdd: string[]; labelRm: string[]; role?: string }): Promise<void> {
  const availability = opts.availability === undefined ? undefined : AVAILABILITY[opts.availability];
  if (opts.availability !== undefined && availability === undefined) {
    throw new CliError(`invalid argument "${opts.availability}" for "--availability" flag: expected active, pause or drain`, 2);
  }
  const role = opts.role === undefined ? undefined : parseRole(opts.role);
  const api = ctx.connect();
  try {
    const res = await api.updateNode({
      node: ref,
      setAvailability: availability !== undefined,
      availability: availability ?? NodeAvailability.NODE_AVAILABILITY_ACTIVE,
      labelAdd: parseKeyValues('--label-add', opts.labelAdd),
      labelRm: opts.labelRm,
      setRole: role !== undefined,
      role: role ?? NodeRole.NODE_ROLE_WORKER,
    });
    ctx.out(`${res.node?.id ?? ref}\n`);
  } finally {
    api.close();
  }
}
