import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';

/** Where flotillad keeps its node certificate (`<data dir>/swarm/certificates`) with the default data dir. */
export const DEFAULT_TLS_DIR = '/var/lib/flotilla/swarm/certificates';

/** A manager's files in a --tls-dir: the same names flotillad writes. */
export const TLS_FILES = { cert: 'node.crt', key: 'node.key', ca: 'ca.crt' } as const;

export interface ControlTls {
  readonly credentials: ChannelCredentials;
  readonly options: ChannelOptions;
}

/**
 * Mutual TLS for `-H tcp://`: this client presents the node certificate in `dir` and accepts only
 * a server that proves to be a manager of the cluster the CA certificate names (the check every
 * NodeCa client makes: the `flotilla-manager` name, OU and O), whatever address it was dialled at.
 * There is no plaintext fallback: without usable files this is one clear error.
 */
export async function loadControlTls(dir: string): Promise<ControlTls> {
  // Loaded here, not at the top: @flotilla/ca brings node-forge (~1 MB), which unix:// commands never need.
  const { managerChannelCredentials, MANAGER_CHANNEL_OPTIONS } = await import('@flotilla/ca');
  const read = (name: string): string => {
    const path = join(dir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new CliError(`tcp:// hosts need a manager's certificates (node.crt, node.key, ca.crt): cannot read ${path} (${why}); pass --tls-dir DIR`);
    }
  };
  const caCertPem = read(TLS_FILES.ca);
  const certPem = read(TLS_FILES.cert);
  const keyPem = read(TLS_FILES.key);
  return { credentials: managerChannelCredentials({ caCertPem, clusterId: clusterIdOfCa(caCertPem, join(dir, TLS_FILES.ca)), certPem, keyPem }), options: MANAGER_CHANNEL_OPTIONS };
}

/** The cluster a root CA certificate belongs to: its subject's O. */
function clusterIdOfCa(caCertPem: string, path: string): string {
  let subject: string;
  try {
    subject = new X509Certificate(caCertPem).subject;
  } catch (err) {
    throw new CliError(`${path} is not a certificate: ${(err as Error).message}`);
  }
  const o = subject.split('\n').find((line) => line.startsWith('O='));
  if (o === undefined) throw new CliError(`${path} is not a flotilla root CA: its subject names no cluster (no O=)`);
  return o.slice(2);
}
