import { parseDuration, SpecError } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { addrPoolFromFlags } from './swarm-addr-pool.js';

export interface SwarmInitOptions {
  advertiseAddr?: string;
  listenAddr?: string;
  certExpiry?: string;
  defaultAddrPool?: string[];
  defaultAddrPoolMaskLength?: string;
  forceNewCluster?: boolean;
  /** --listen-addr came from the command line, not its default. */
  listenAddrGiven?: boolean;
}

export async function swarmInitCommand(ctx: CommandContext, opts: SwarmInitOptions): Promise<void> {
  if (opts.forceNewCluster) {
    const others = [
      ['--advertise-addr', opts.advertiseAddr !== undefined],
      ['--listen-addr', opts.listenAddrGiven === true],
      ['--cert-expiry', opts.certExpiry !== undefined],
      ['--default-addr-pool', (opts.defaultAddrPool ?? []).length > 0],
      ['--default-addr-pool-mask-length', opts.defaultAddrPoolMaskLength !== undefined],
    ].flatMap(([flag, given]) => (given ? [flag as string] : []));
    if (others.length > 0) throw new CliError(`--force-new-cluster keeps this manager's addresses and the swarm's settings: leave out ${others.join(', ')}`, 2);
  }
  let certExpiryMs = 0;
  if (opts.certExpiry !== undefined) {
    try {
      certExpiryMs = parseDuration(opts.certExpiry);
    } catch (err) {
      if (err instanceof SpecError) throw new CliError(`invalid argument "${opts.certExpiry}" for "--cert-expiry" flag: ${err.message}`, 2);
      throw err;
    }
  }
  const pool = addrPoolFromFlags(opts.defaultAddrPool ?? [], opts.defaultAddrPoolMaskLength);
  const api = ctx.connect();
  try {
    const res = await api.swarmInit({
      advertiseAddr: opts.advertiseAddr ?? '',
      listenAddr: opts.forceNewCluster ? '' : (opts.listenAddr ?? ''),
      certExpiryMs,
      forceNewCluster: opts.forceNewCluster === true,
      ...pool,
    });
    ctx.out(formatSwarmInit(res.nodeId, res.workerJoinCommand));
    if (res.droppedManagers.length > 0) {
      ctx.out(
        `The other managers (${res.droppedManagers.join(', ')}) are no longer part of the swarm: their certificates are refused and their nodes stay listed as Down. ` +
          "Remove them with 'flotilla node rm'; to bring one of those machines back, run 'flotilla swarm leave --force' on it and join it again.\n\n",
      );
    }
  } finally {
    api.close();
  }
}

export function formatSwarmInit(nodeId: string, workerJoinCommand: string): string {
  return (
    `Swarm initialized: current node (${nodeId}) is now a manager.\n\n` +
    'To add a worker to this swarm, run the following command:\n\n' +
    `    ${workerJoinCommand}\n\n` +
    "To add a manager to this swarm, run 'flotilla swarm join-token manager' and follow the instructions.\n\n"
  );
}

export async function swarmJoinTokenCommand(ctx: CommandContext, role: string, opts: { quiet?: boolean; rotate?: boolean }): Promise<void> {
  if (role !== 'worker' && role !== 'manager' && role !== 'service') throw new CliError(`unknown role ${role}: expected worker, manager or service`, 2);
  const api = ctx.connect();
  try {
    const rotate = Boolean(opts.rotate);
    const res = await api.joinTokens({ rotateWorker: rotate && role === 'worker', rotateManager: rotate && role === 'manager', rotateService: rotate && role === 'service' });
    const token = role === 'worker' ? res.worker : role === 'manager' ? res.manager : res.service;
    if (opts.quiet) {
      ctx.out(`${token}\n`);
      return;
    }
    if (opts.rotate) ctx.out(`Successfully rotated ${role} join token.\n\n`);
    if (role === 'service') {
      // Issue 16: a singleton manager service as its own process; several may run, one acts at a time.
      if (token === '') throw new CliError("this swarm has no service join token yet: make one with 'flotilla swarm join-token --rotate service'", 1);
      ctx.out(`To run a manager service (scheduler, orchestrator or allocator) as its own process, run:\n\n    flotillad service <name> --token ${token} --join ${res.managerAddr}\n\n`);
      return;
    }
    ctx.out(`To add a ${role} to this swarm, run the following command:\n\n    flotilla swarm join --token ${token} ${res.managerAddr}\n\n`);
  } finally {
    api.close();
  }
}

export async function swarmLeaveCommand(ctx: CommandContext, opts: { force?: boolean }): Promise<void> {
  const api = ctx.connect();
  try {
    await api.swarmLeave(Boolean(opts.force));
    ctx.out('Node left the swarm.\n');
  } finally {
    api.close();
  }
}

export async function swarmJoinCommand(ctx: CommandContext, remote: string, opts: { token?: string; advertiseAddr?: string; listenAddr?: string }): Promise<void> {
  if (!opts.token) throw new CliError('--token is required to join a swarm', 2);
  const api = ctx.connect();
  try {
    const res = await api.swarmJoin({ remoteAddr: remote, token: opts.token, advertiseAddr: opts.advertiseAddr ?? '', listenAddr: opts.listenAddr ?? '' });
    ctx.out(res.isManager ? 'This node joined a swarm as a manager.\n' : 'This node joined a swarm as a worker.\n');
  } finally {
    api.close();
  }
}
