import { createCsr } from './csr.js';
import { newNodeId } from './ids.js';
import { signNodeCertificate } from './node-cert.js';
import { CertRole } from './roles.js';
import { RootCaMaterial } from './root-ca.js';

/** What a node keeps in its data dir after joining (or after `swarm init`). */
export interface NodeCredentials {
  nodeId: string;
  role: CertRole;
  certPem: string;
  keyPem: string;
  caCertPem: string;
  /** From a join or renewal as a manager: the keys the managers' nats-servers accept routes from (see NodeCaState.routeKeys). */
  routeKeys?: string[];
}

export interface IssueLocalOptions {
  rootCa: RootCaMaterial;
  clusterId: string;
  role: CertRole;
  nodeId?: string;
  addresses?: readonly string[];
  expiryMs?: number;
}

/** For the node that holds the CA key itself (the first manager at `swarm init`): no network round trip. */
export function issueLocalNodeCredentials(options: IssueLocalOptions): NodeCredentials {
  const nodeId = options.nodeId ?? newNodeId();
  const { csrPem, keyPem } = createCsr(nodeId);
  const certPem = signNodeCertificate({
    rootCa: options.rootCa,
    csrPem,
    nodeId,
    role: options.role,
    clusterId: options.clusterId,
    expiryMs: options.expiryMs,
    addresses: options.addresses,
  });
  return { nodeId, role: options.role, certPem, keyPem, caCertPem: options.rootCa.certPem };
}
