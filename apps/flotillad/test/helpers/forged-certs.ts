// Certificates for refusal tests of the control API on 2377: an expired one signed with the
// cluster's real CA key (read from a manager's data dir) and one from another CA altogether.
import { NodeRole } from '@flotilla/api';
import { createCsr, createRootCa, issueLocalNodeCredentials, loadRootCa, newNodeId, signNodeCertificate } from '@flotilla/ca';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TlsFiles {
  certPem: string;
  keyPem: string;
  caCertPem: string;
}

/** Where flotillad keeps a node's node.crt, node.key and ca.crt (what `--tls-dir` takes). */
export const certificatesDir = (dataDir: string): string => join(dataDir, 'swarm', 'certificates');

export async function readTlsFiles(dir: string): Promise<TlsFiles> {
  const read = (name: string) => readFile(join(dir, name), 'utf8');
  return { certPem: await read('node.crt'), keyPem: await read('node.key'), caCertPem: await read('ca.crt') };
}

/** Writes a `--tls-dir` the CLI can use. */
export async function writeTlsDir(dir: string, files: TlsFiles): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'node.crt'), files.certPem);
  await writeFile(join(dir, 'node.key'), files.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'ca.crt'), files.caCertPem);
  return dir;
}

/** A manager certificate of the real cluster, signed with its real CA key, that expired a day ago. */
export async function expiredManagerCert(managerDataDir: string, clusterId: string): Promise<TlsFiles> {
  const dir = certificatesDir(managerDataDir);
  const caCertPem = await readFile(join(dir, 'ca.crt'), 'utf8');
  const rootCa = loadRootCa(caCertPem, await readFile(join(dir, 'ca.key'), 'utf8'));
  const nodeId = newNodeId();
  const { csrPem, keyPem } = createCsr(nodeId);
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
  const certPem = signNodeCertificate({ rootCa, csrPem, nodeId, role: NodeRole.NODE_ROLE_MANAGER, clusterId, expiryMs: 3600_000, now: twoDaysAgo });
  return { certPem, keyPem, caCertPem };
}

/** A manager certificate for the same cluster ID from a CA the cluster never heard of. */
export function foreignManagerCert(clusterId: string): TlsFiles {
  const rootCa = createRootCa({ clusterId });
  const creds = issueLocalNodeCredentials({ rootCa, clusterId, role: NodeRole.NODE_ROLE_MANAGER });
  return { certPem: creds.certPem, keyPem: creds.keyPem, caCertPem: rootCa.certPem };
}
