import { NodeAvailability, NodeRole, NodeState, type Node, type NodeView } from '@flotilla/api';
import { dockerNode, matchNode, tlsInfoFromRootPem } from '@flotilla/docker-shape';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderFields } from '../output/fields.js';
import { checkPrettyFormat, renderInspect } from '../output/inspect-format.js';
import { listFilters } from '../output/list-filters.js';
import { renderList, type ListFormatOptions } from '../output/list-format.js';
import { managerStatusOf, NODE_LIST } from '../output/swarm-list-contexts.js';
import { parseKeyValues } from './service-flags.js';
import { parseRole } from './node-role.js';

const word = (value: string, prefix: string) => {
  const w = value.replace(prefix, '').toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
};

/** `node ls`: by hostname, docker's columns or the `--format` asked for. */
export function formatNodeList(views: readonly NodeView[], opts: ListFormatOptions = {}): string {
  const sorted = [...views].sort((a, b) => (a.node?.description?.hostname ?? '').localeCompare(b.node?.description?.hostname ?? '') || (a.node?.id ?? '').localeCompare(b.node?.id ?? ''));
  return renderList(NODE_LIST, sorted, opts);
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

export async function nodeLsCommand(ctx: CommandContext, opts: { quiet?: boolean; filter?: string[]; format?: string }): Promise<void> {
  const filters = listFilters('node', opts.filter);
  const api = ctx.connect();
  try {
    ctx.out(formatNodeList((await api.listNodes()).nodes.filter((v) => v.node && matchNode(filters, v.node)), opts));
  } finally {
    api.close();
  }
}

export async function nodeInspectCommand(ctx: CommandContext, refs: string[], opts: { pretty?: boolean; format?: string }): Promise<void> {
  checkPrettyFormat(opts);
  const api = ctx.connect();
  try {
    const views = [];
    for (const ref of refs.length ? refs : ['self']) views.push(ref === 'self' ? await selfNode(api) : await api.getNode(ref));
    if (opts.pretty) {
      ctx.out(views.map(formatNodePretty).join('\n'));
      return;
    }
    // Every node's TLSInfo is the swarm's root CA, as docker reports it.
    const root = (await api.getRootCa()).rootCaCertificate;
    const tls = root ? tlsInfoFromRootPem(root) : {};
    ctx.out(renderInspect(views.map((v) => dockerNode(v, tls)), opts.format));
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
