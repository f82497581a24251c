import { NodeRole } from '@flotilla/api';
import type { CertRole, IssuedCertificate } from '@flotilla/ca';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { renewedNode } from './node-objects.js';
import { writeStore } from './store-writer.js';

export interface RenewedCertificate extends IssuedCertificate {
  nodeId: string;
  role: CertRole;
  previousRole: CertRole;
  /** The certificate the node renewed with (its key may still be in use on routes). */
  renewedWith: { publicKeySha256: string; notAfterMs: number };
  addresses: string[];
}

/**
 * After the CA renewed a node's certificate, records it in the node's object (see renewedNode).
 * Whenever a manager certificate is involved (issued or renewed with) the write completes before
 * the certificate goes out, and its failure fails the renewal: a promotion must not hand out a
 * manager certificate the cluster does not know of, and a manager's new key must be pinned by the
 * other managers before its nats-server presents it on a route (its routes would be refused). A
 * worker's renewal is written without holding up the answer: worker keys are never pinned, a
 * worker's renewal must keep working while the store cannot take writes (no quorum), and its TLS
 * info catches up with the next one.
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
  if (renewed.role !== NodeRole.NODE_ROLE_MANAGER && renewed.previousRole !== NodeRole.NODE_ROLE_MANAGER) {
    void write.catch((err: unknown) => log.warn({ err, renewedNodeId: renewed.nodeId }, 'recording the TLS info of a renewed certificate failed'));
    return;
  }
  await write;
  if (promotion) log.info({ promotedNodeId: renewed.nodeId }, 'promoted node renewed its certificate as a manager');
}
