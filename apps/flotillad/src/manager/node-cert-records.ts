import { NodeRole } from '@flotilla/api';
import type { CertRole, IssuedCertificate } from '@flotilla/ca';
import type { RaftMember } from '@flotilla/raft';
import type { Logger } from 'pino';
import { promotedNode, withTlsInfo } from './node-objects.js';
import { writeStore } from './store-writer.js';

export interface RenewedCertificate extends IssuedCertificate {
  nodeId: string;
  role: CertRole;
  addresses: string[];
}

/**
 * After the CA renewed a node's certificate: a worker that renewed as a manager (a promotion) is
 * recorded as a manager, which makes the leader add it as a Raft voter; every renewal records the
 * new certificate's TLS info. A promotion that cannot be written fails the renewal (the node must
 * not hold a manager certificate the cluster does not know of); a TLS info that cannot be written
 * is only logged, since the certificate itself is fine.
 */
export async function recordRenewedNode(member: RaftMember, renewed: RenewedCertificate, managerPort: number, log: Logger): Promise<void> {
  const promoted = (role: NodeRole | undefined) => renewed.role === NodeRole.NODE_ROLE_MANAGER && role !== NodeRole.NODE_ROLE_MANAGER;
  const wasPromotion = promoted(member.store.view().nodes.get(renewed.nodeId)?.role);
  const write = writeStore(member, (view, tx) => {
    const node = view.nodes.get(renewed.nodeId);
    if (!node) return false;
    tx.update('node', withTlsInfo(promoted(node.role) ? promotedNode(node, renewed.addresses, managerPort) : node, renewed));
    return undefined;
  });
  if (!wasPromotion) {
    await write.catch((err: unknown) => log.warn({ err, renewedNodeId: renewed.nodeId }, 'recording the TLS info of a renewed certificate failed'));
    return;
  }
  await write;
  log.info({ promotedNodeId: renewed.nodeId }, 'promoted node renewed its certificate as a manager');
}
