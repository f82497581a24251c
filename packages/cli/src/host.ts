import { isAbsolute } from 'node:path';
import { CliError } from './errors.js';

export const DEFAULT_HOST = 'unix:///var/run/flotilla.sock';
/** The managers' port: join and the control API over mutual TLS. */
export const DEFAULT_MANAGER_PORT = 2377;

/** The daemon to talk to, from `-H` or FLOTILLA_HOST. */
export interface ControlHost {
  /** As the user wrote it, for messages. */
  readonly url: string;
  /** The gRPC target. */
  readonly target: string;
  /** unix: the local socket (plaintext, guarded by its mode); tcp: a manager's port, mutual TLS only. */
  readonly transport: 'unix' | 'tcp';
}

const EXPECTED = 'expected unix:///path/to/flotilla.sock or tcp://HOST[:PORT]';

export function parseHost(raw: string): ControlHost {
  if (raw.startsWith('unix://')) {
    const path = raw.slice('unix://'.length);
    if (!isAbsolute(path)) throw new CliError(`invalid host "${raw}": expected unix:///absolute/path.sock`, 2);
    return { url: raw, target: `unix://${path}`, transport: 'unix' };
  }
  if (raw.startsWith('tcp://')) return { url: raw, target: tcpTarget(raw), transport: 'tcp' };
  throw new CliError(`invalid host "${raw}": ${EXPECTED}`, 2);
}

/** host:port for grpc-js from tcp://HOST[:PORT] (IPv6 in brackets); nothing else may follow. */
function tcpTarget(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`invalid host "${raw}": ${EXPECTED}`, 2);
  }
  if (url.hostname === '' || url.username || url.password || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    throw new CliError(`invalid host "${raw}": ${EXPECTED}`, 2);
  }
  return `${url.hostname}:${url.port || DEFAULT_MANAGER_PORT}`;
}
