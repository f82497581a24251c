import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPublicKeySha256 } from '@flotilla/ca';
import type { Logger } from 'pino';
import { writeFileAtomic, type SwarmFiles } from '../swarm/swarm-state.js';

/** What a manager's nats-server pinned last, and where the other managers' CA listeners (2377) were. */
export interface RouteKeysRecord {
  keys: string[];
  /** host:port of the other managers' join/CA listeners, to ask them for the current keys. */
  managers: string[];
}

/**
 * Kept beside the nats-server config: a restarting manager must pin the other managers before
 * its store is readable again (pinning is checked both ways, and the store comes back only through
 * those routes). Written from the join or promotion answer (`route_keys`) and on every change the
 * store brings; read at the runtime's start, where the managers named here are asked first for the
 * keys of now (they may have renewed meanwhile).
 */
export function routeKeysFile(files: SwarmFiles): string {
  return join(files.natsDir, 'route-keys.json');
}

export async function writeRouteKeys(files: SwarmFiles, record: RouteKeysRecord): Promise<void> {
  const text = JSON.stringify({ keys: [...record.keys].sort(), managers: [...record.managers].sort() }, null, 2);
  await writeFileAtomic(routeKeysFile(files), `${text}\n`, 0o600);
}

const NONE: RouteKeysRecord = { keys: [], managers: [] };

/** The record last written, or an empty one (first start, or a file that is missing or damaged: then only the node's own key is pinned). */
export async function readRouteKeys(files: SwarmFiles, log: Logger): Promise<RouteKeysRecord> {
  const path = routeKeysFile(files);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, path }, 'reading the pinned route keys failed; pinning only this node until the store is read');
    return NONE;
  }
  try {
    const parsed = JSON.parse(text) as { keys?: unknown; managers?: unknown };
    const { keys, managers = [] } = parsed;
    if (!Array.isArray(keys) || !keys.every(isPublicKeySha256)) throw new Error('expected "keys": [<64 hex characters>, ...]');
    if (!Array.isArray(managers) || !managers.every((m) => typeof m === 'string' && /^[^\s]+:\d+$/.test(m))) throw new Error('expected "managers": ["host:port", ...]');
    return { keys: keys as string[], managers: managers as string[] };
  } catch (err) {
    log.warn({ err: (err as Error).message, path }, 'the pinned route keys file is damaged; pinning only this node until the store is read');
    return NONE;
  }
}
