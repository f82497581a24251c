import { formatDuration, parseDuration, SpecError, type ClusterView, type UpdateClusterRequest } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderFields } from '../output/fields.js';

export interface SwarmUpdateOptions {
  dispatcherHeartbeat?: string;
  certExpiry?: string;
  taskHistoryLimit?: string;
  gossipKeyRotation?: string;
}

function duration(text: string | undefined, flag: string): number {
  if (text === undefined) return 0;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(`invalid argument "${text}" for "${flag}" flag: ${err.message}`, 2);
    throw err;
  }
  if (ms <= 0) throw new CliError(`invalid argument "${text}" for "${flag}" flag: must be a positive duration`, 2);
  return ms;
}

/** The flags as an UpdateClusterRequest; throws a usage error (exit 2) for bad values. */
export function swarmUpdateRequest(opts: SwarmUpdateOptions): UpdateClusterRequest {
  let limit = 0;
  if (opts.taskHistoryLimit !== undefined) {
    if (!/^\d+$/.test(opts.taskHistoryLimit)) throw new CliError(`invalid argument "${opts.taskHistoryLimit}" for "--task-history-limit" flag: must be a whole number, 0 or more`, 2);
    limit = Number(opts.taskHistoryLimit);
  }
  return {
    dispatcherHeartbeatMs: duration(opts.dispatcherHeartbeat, '--dispatcher-heartbeat'),
    certExpiryMs: duration(opts.certExpiry, '--cert-expiry'),
    setTaskHistoryLimit: opts.taskHistoryLimit !== undefined,
    taskHistoryLimit: limit,
    gossipKeyRotationMs: duration(opts.gossipKeyRotation, '--gossip-key-rotation'),
  };
}

/** The settings in effect, `docker swarm inspect --pretty`-like. */
export function formatClusterView(v: ClusterView, now = Date.now()): string {
  const rotation = v.gossipKeys > 1 ? `${v.gossipKeys} keys (rotation under way)` : `${v.gossipKeys} key${v.gossipKeys === 1 ? '' : 's'}`;
  return renderFields(
    [
      ['ID', v.id],
      ['Dispatcher heartbeat period', formatDuration(v.dispatcherHeartbeatMs)],
      ['Node certificate expiry', formatDuration(v.certExpiryMs)],
      ['Task history retention limit', String(v.taskHistoryLimit)],
      ['Gossip key rotation interval', formatDuration(v.gossipKeyRotationMs)],
      ['Gossip keyring', rotation],
      ['Gossip primary key age', v.gossipPrimaryCreatedMs > 0 ? formatDuration(Math.max(0, Math.floor((now - v.gossipPrimaryCreatedMs) / 1000) * 1000)) : 'none yet'],
    ],
    '',
  );
}

export async function swarmUpdateCommand(ctx: CommandContext, opts: SwarmUpdateOptions): Promise<void> {
  const req = swarmUpdateRequest(opts);
  const api = ctx.connect();
  try {
    const view = await api.updateCluster(req);
    const changed = req.dispatcherHeartbeatMs || req.certExpiryMs || req.gossipKeyRotationMs || req.setTaskHistoryLimit;
    ctx.out(`${changed ? 'Swarm updated.\n' : ''}${formatClusterView(view)}`);
  } finally {
    api.close();
  }
}
