import { SwarmState, type GossipInfo, type InfoResponse, type Lease, type ManagerServicesInfo, type RefusalCount, type SwarmInfo } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { renderFields, type Field } from '../output/fields.js';

/** `flotilla info`: like `docker info`, centred on the node and its swarm membership. */
export async function infoCommand(ctx: CommandContext): Promise<void> {
  const api = ctx.connect();
  try {
    const info = await api.info();
    ctx.out(formatInfo(info, ctx.client.version, ctx.host.url));
    for (const warning of infoWarnings(info)) ctx.warn(`WARNING: ${warning}\n`);
  } finally {
    api.close();
  }
}

export function formatInfo(info: InfoResponse, clientVersion: string, host: string): string {
  const docker = info.docker;
  const engine = docker?.reachable ? `${docker.engineVersion} (API ${docker.apiVersion})` : 'unreachable';
  const labels = Object.entries(info.labels).sort(([a], [b]) => a.localeCompare(b));
  return (
    'Client:\n' +
    renderFields(
      [
        ['Version', clientVersion],
        ['Host', host],
      ],
      ' ',
    ) +
    '\nServer:\n' +
    renderFields(
      [
        ['Server Version', info.daemonVersion],
        ['Node Name', info.nodeName],
      ],
      ' ',
    ) +
    (labels.length === 0 ? '' : ' Labels:\n' + labels.map(([k, v]) => `  ${k}=${v}\n`).join('')) +
    renderFields(
      [
        ['Data Dir', info.dataDir],
        ['Control Socket', info.controlSocket],
        ['Docker Host', docker?.host ?? ''],
        ['Docker Engine', engine],
        ['Load Balancer', info.loadBalancerBackend || 'none'],
        ...(info.advertiseAddr ? [['Advertise Address', info.advertiseAddr] as const] : []),
      ],
      ' ',
    ) +
    formatSwarm(info.swarm) +
    (info.managerServices ? formatManagerServices(info.managerServices) : '') +
    renderFields(
      [
        ['Node.js Version', info.runtimeVersion],
        ['OS/Arch', `${info.os}/${info.arch}`],
        ['PID', String(info.pid)],
      ],
      ' ',
    )
  );
}

/** The "Swarm:" block, worded and shaped like docker info's for each local node state. */
export function formatSwarm(swarm: SwarmInfo | undefined): string {
  const state = swarmStateWord(swarm?.localNodeState);
  if (!swarm || swarm.localNodeState === SwarmState.SWARM_STATE_INACTIVE) return ` Swarm: ${state}\n`;
  const fields: Field[] = [['NodeID', swarm.nodeId]];
  if (swarm.error) fields.push(['Error', swarm.error]);
  fields.push(['Is Manager', String(swarm.isManager)]);
  if (swarm.localNodeState === SwarmState.SWARM_STATE_ACTIVE) {
    fields.push(['ClusterID', swarm.clusterId]);
    if (swarm.isManager) fields.push(['Managers', String(swarm.managers)], ['Nodes', String(swarm.nodes)]);
  }
  fields.push(['Node Address', swarm.nodeAddr]);
  const managers = swarm.remoteManagers.map((m) => `   ${m.addr}\n`).join('');
  return (
    ` Swarm: ${state}\n` +
    renderFields(fields, '  ') +
    (managers === '' ? '' : '  Manager Addresses:\n' + managers) +
    (swarm.localNodeState === SwarmState.SWARM_STATE_ACTIVE ? formatRefusals(swarm) : '') +
    (swarm.gossip ? formatGossip(swarm.gossip) : '')
  );
}

/**
 * Flotilla's own lines: what this node's listeners refused since the daemon started (a
 * manager's nats-server and port 2377; every node's embedded DNS). Gossip's are in its block.
 */
export function formatRefusals(swarm: SwarmInfo): string {
  const fields: Field[] = swarm.isManager
    ? [
        ['NATS', refusalText(swarm.natsRefused)],
        ['Manager Port', refusalText(swarm.managerPortRefused)],
      ]
    : [];
  fields.push(['DNS', refusalText(swarm.dnsRefused)]);
  return '  Refused:\n' + renderFields(fields, '   ');
}

/**
 * Flotilla's own lines (issue 16, managers only): who holds the lease of each singleton manager
 * service, and every instance that answered, in a manager's flotillad or as its own process.
 */
export function formatManagerServices(ms: ManagerServicesInfo): string {
  const leases = ms.leases.map((l) => `   ${l.id}: ${leaseHolderText(l)}\n`);
  const instances = ms.instances.map((i) => `    ${i.service} ${i.instanceId} ${whereText(i.managerNodeId, i.pid, i.host)}: ${i.active ? `active (epoch ${i.leaseEpoch})` : 'standby'}\n`);
  return (
    '  Manager Services:\n' +
    (leases.length === 0 ? '   no leases taken yet\n' : leases.join('')) +
    '   Instances:\n' +
    (instances.length === 0 ? '    none answered\n' : instances.join(''))
  );
}

function leaseHolderText(l: Lease): string {
  if (l.holder === '') return `released (epoch ${l.epoch})`;
  const info = l.holderInfo;
  return `held by ${l.holder} ${whereText(info?.managerNodeId ?? '', info?.pid ?? 0, info?.host ?? '')}, epoch ${l.epoch}, ${l.transitions} ${plural(Number(l.transitions), 'takeover')}`;
}

function whereText(managerNodeId: string, pid: number, host: string): string {
  return managerNodeId !== '' ? `(in the flotillad of manager ${managerNodeId}, pid ${pid})` : `(process pid ${pid} on ${host})`;
}

/** "1234 bad-key, 3 frame-oversize", or "none". */
export function refusalText(counts: readonly RefusalCount[]): string {
  return counts.length === 0 ? 'none' : counts.map((c) => `${c.count} ${c.cause}`).join(', ');
}

/** Flotilla's own lines (docker info has none): the node's gossip members and network DB groups. */
export function formatGossip(g: GossipInfo): string {
  const groups = g.networks.map(
    (n) => `   ${n.networkName || n.networkId}: ${n.peers} ${plural(n.peers, 'peer')}, ${n.endpoints} ${plural(n.endpoints, 'endpoint')}, ${n.vteps} ${plural(n.vteps, 'VTEP')}, ${n.tombstones} ${plural(n.tombstones, 'tombstone')}\n`,
  );
  return (
    '  Gossip:\n' +
    renderFields(
      [
        ['Members', `${g.membersAlive} alive, ${g.membersSuspect} suspect, ${g.membersDead} dead, ${g.membersLeft} left`],
        ['Refused', refusalText(g.refused)],
        ['Network DB', groups.length === 0 ? 'no groups' : `${groups.length} ${plural(groups.length, 'group')}`],
      ],
      '   ',
    ) +
    groups.map((line) => ` ${line}`).join('')
  );
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

export function swarmStateWord(state: SwarmState | undefined): string {
  switch (state) {
    case undefined:
    case SwarmState.SWARM_STATE_INACTIVE:
      return 'inactive';
    case SwarmState.SWARM_STATE_PENDING:
      return 'pending';
    case SwarmState.SWARM_STATE_ACTIVE:
      return 'active';
    case SwarmState.SWARM_STATE_ERROR:
      return 'error';
    default:
      return 'unknown';
  }
}

export function infoWarnings(info: InfoResponse): string[] {
  return info.docker && !info.docker.reachable ? [info.docker.error] : [];
}
