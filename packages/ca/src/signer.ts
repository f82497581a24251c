import { signNodeCertificate } from './node-cert.js';
import { CertRole } from './roles.js';
import { RootCaMaterial } from './root-ca.js';

export interface NodeSignRequest {
  csrPem: string;
  nodeId: string;
  role: CertRole;
  clusterId: string;
  addresses: readonly string[];
  expiryMs?: number | undefined;
}

/** Who turns a vetted request into a certificate: the cluster's own root CA key, or an external CA. */
export interface NodeCertificateSigner {
  readonly kind: 'local' | 'cfssl';
  sign(request: NodeSignRequest): Promise<string>;
}

export function localSigner(rootCa: RootCaMaterial): NodeCertificateSigner {
  return {
    kind: 'local',
    sign: async (request) => signNodeCertificate({ rootCa, ...request }),
  };
}
