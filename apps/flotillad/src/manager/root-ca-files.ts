import { readFile } from 'node:fs/promises';
import type { Cluster, Node } from '@flotilla/api';
import { loadRootCa, splitPemCertificates, type IssuedBy } from '@flotilla/ca';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { writeFileAtomic, type SwarmFiles } from '../swarm/swarm-state.js';
import { storeRootCaSource, storedRootCa, type RootCaSource } from './root-ca-source.js';
import { writeStore } from './store-writer.js';

async function readKeyFile(files: SwarmFiles): Promise<string | undefined> {
  try {
    return await readFile(files.caKey, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A manager's root CA: the store's (authoritative once caught up: after a root CA rotation it
 * names the new root, while ca.crt may be a bundle of two roots and ca.key the old key), else
 * the data dir's. The key file follows the store, so a restart and `swarm leave` find the key
 * the swarm uses now.
 */
export async function startRootCaFiles(files: SwarmFiles, member: RaftMember, clusterId: string, caCertFilePem: string, log: Logger): Promise<{ roots: RootCaSource; stop(): void }> {
  const cluster = (): Cluster | undefined => member.store.view().clusters.get(clusterId);
  const stored = storedRootCa(cluster());
  let initial;
  if (stored) {
    initial = loadRootCa(stored.certPem, stored.keyPem);
  } else {
    const keyPem = await readKeyFile(files);
    if (keyPem === undefined) throw new Error(`the store has no root CA key for cluster ${clusterId}, and ${files.caKey} does not exist`);
    initial = loadRootCa(splitPemCertificates(caCertFilePem)[0] ?? caCertFilePem, keyPem);
  }
  const roots = storeRootCaSource(cluster, clusterId, initial);
  let written = (await readKeyFile(files)) === initial.keyPem ? initial.digest : '';
  const sync = async () => {
    const current = roots.current();
    if (current.digest === written) return;
    await writeFileAtomic(files.caKey, current.keyPem, 0o600);
    if (written !== '') log.info({ component: 'ca', rootDigest: current.digest }, 'the swarm has a new root CA: key file updated');
    written = current.digest;
  };
  await sync();
  const sub = member.store.watch({ kinds: ['cluster'] });
  void (async () => {
    try {
      for await (const _event of sub) await sync().catch((err: unknown) => log.error({ component: 'ca', err }, 'writing the new root CA key file failed'));
    } catch {
      // closed on stop or by a snapshot restore
    }
  })();
  return { roots, stop: () => sub.close() };
}

/** The CA's join/renew hooks record which root issued a node's certificate: a root CA rotation counts these. */
export function withCertIssuer(node: Node, issued: IssuedBy): Node {
  return { ...node, certIssuer: { rootDigest: issued.issuerDigest, trustsOldRoot: issued.trustsOldRoot } };
}

/** Written only when it changed, so a routine renewal outside a rotation writes nothing after the first. */
export async function recordCertIssuer(member: RaftMember, nodeId: string, issued: IssuedBy): Promise<void> {
  await writeStore(member, (view, tx) => {
    const node = view.nodes.get(nodeId);
    if (!node) return false;
    if (node.certIssuer?.rootDigest === issued.issuerDigest && node.certIssuer.trustsOldRoot === issued.trustsOldRoot) return false;
    tx.update('node', withCertIssuer(node, issued));
    return undefined;
  });
}
