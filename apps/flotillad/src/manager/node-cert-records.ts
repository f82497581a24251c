import type { CertRole, IssuedCertificate } from '@flotilla/ca';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { renewedNode } from './node-objects.js';
import { writeStore } from './store-writer.js';

export interface RenewedCertificate extends IssuedCertificate {
  nodeId: string;
  role: CertRole;
  addresses: string[];
}

/**
 * After the CA renewed a node's certificate, records it in the node's object (see renewedNode).
 * A promotion must be written before the certificate goes out (the node must not hold a manager
 * certificate the cluster does not know of), so its failure fails the renewal. A plain renewal's
 * TLS info is written without holding up the answer: a renewal must keep working while the store
 * cannot take writes (no quorum), and the info catches up with the next one.
 */
export async function recordRenewedNode(member: RaftMember, renewed: RenewedCertificate, managerPort: number, log: Logger): Promise<void> {
  const current = member.store.view().nodes.get(renewed.nodeId);
  const promotion = current !== undefined && renewedNode(current, renewed, managerPort).promoted;
  const write = writeStore(member, (view, tx) => {
    const node = view.nodes.get(renewed.nodeId);
    if (!node) return false;
    tx.update('node', renewedNode(node, renewed, managerPort).node);
    return undefined;
  });
  if (!promotion) {
    void write.catch((err: unknown) => log.warn({ err, renewedNodeId: renewed.nodeId }, 'recording the TLS info of a renewed certificate failed'));
    return;
  }
  await write;
  log.info({ promotedNodeId: renewed.nodeId }, 'promoted node renewed its certificate as a manager');
}
