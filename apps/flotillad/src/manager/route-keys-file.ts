import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPublicKeySha256 } from '@flotilla/ca';
import type { Logger } from 'pino';
import { writeFileAtomic, type SwarmFiles } from '../swarm/swarm-state.js';

/**
 * The route keys a manager's nats-server pinned last, kept beside its config: a restarting manager
 * must pin the other managers before its store is readable again (pinning is checked both ways, and
 * the store comes back only through those routes). Written from the join or promotion answer
 * (`route_keys`) and on every change the store brings; read once at the runtime's start.
 */
export function routeKeysFile(files: SwarmFiles): string {
  return join(files.natsDir, 'route-keys.json');
}

export async function writeRouteKeys(files: SwarmFiles, keys: readonly string[]): Promise<void> {
  await writeFileAtomic(routeKeysFile(files), `${JSON.stringify({ keys: [...keys].sort() }, null, 2)}\n`, 0o600);
}

/** The keys last written, or none (first start, or a file that is missing or damaged: then only the node's own key is pinned). */
export async function readRouteKeys(files: SwarmFiles, log: Logger): Promise<string[]> {
  const path = routeKeysFile(files);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, path }, 'reading the pinned route keys failed; pinning only this node until the store is read');
    return [];
  }
  try {
    const keys = (JSON.parse(text) as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || !keys.every(isPublicKeySha256)) throw new Error('expected {"keys": [<64 hex characters>, ...]}');
    return keys as string[];
  } catch (err) {
    log.warn({ err: (err as Error).message, path }, 'the pinned route keys file is damaged; pinning only this node until the store is read');
    return [];
  }
}
