import { isAbsolute } from 'node:path';
import { CliError } from './errors.js';

export const DEFAULT_HOST = 'unix:///var/run/flotilla.sock';

/** The daemon to talk to, from `-H` or FLOTILLA_HOST. */
export interface ControlHost {
  /** As the user wrote it, for messages. */
  readonly url: string;
  /** The gRPC target. */
  readonly target: string;
}

export function parseHost(raw: string): ControlHost {
  if (raw.startsWith('unix://')) {
    const path = raw.slice('unix://'.length);
    if (!isAbsolute(path)) throw new CliError(`invalid host "${raw}": expected unix:///absolute/path.sock`, 2);
    return { url: raw, target: `unix://${path}` };
  }
  if (raw.startsWith('tcp://')) {
    // The network control API is served only over mutual TLS, which arrives with swarm init.
    throw new CliError(`invalid host "${raw}": only unix:// hosts are supported so far`, 2);
  }
  throw new CliError(`invalid host "${raw}": expected unix:///path/to/flotilla.sock`, 2);
}
