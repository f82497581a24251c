import forge from 'node-forge';
import { CaError } from './errors.js';
import { generateRsaKeyPair } from './keys.js';

export interface NodeCsr {
  csrPem: string;
  /** Never leaves the node. */
  keyPem: string;
}

/** CSR CN when the node has no ID yet: the CA assigns one on join. */
export const UNASSIGNED_NODE_CN = 'flotilla-node';

/**
 * The node makes its own key and a CSR. Only the public key matters to the CA:
 * it decides CN, OU and O itself, so a CSR cannot claim a role or identity.
 */
export function createCsr(nodeId?: string): NodeCsr {
  const keys = generateRsaKeyPair();
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  csr.setSubject([{ name: 'commonName', value: nodeId ?? UNASSIGNED_NODE_CN }]);
  csr.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { csrPem: forge.pki.certificationRequestToPem(csr), keyPem: keys.privateKeyPem };
}

export interface ParsedCsr {
  commonName: string | undefined;
  publicKey: forge.pki.rsa.PublicKey;
}

/** Parses and checks the self-signature (proof the requester holds the key). */
export function parseCsr(csrPem: string): ParsedCsr {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (err) {
    throw new CaError('invalid-argument', `reading the certificate request: not a valid PEM PKCS#10 RSA request (${(err as Error).message})`);
  }
  let signed = false;
  try {
    signed = csr.verify();
  } catch {
    signed = false;
  }
  if (!signed || !csr.publicKey) {
    throw new CaError('invalid-argument', 'reading the certificate request: its signature does not match its public key');
  }
  const cn = csr.subject.getField('CN') as { value?: unknown } | null;
  return {
    commonName: typeof cn?.value === 'string' ? cn.value : undefined,
    publicKey: csr.publicKey as forge.pki.rsa.PublicKey,
  };
}
