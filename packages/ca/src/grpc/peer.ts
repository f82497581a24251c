import { X509Certificate } from 'node:crypto';
import { PeerCertificate } from 'node:tls';
import { NodeRole } from '@flotilla/api';
import { isDenied } from '../deny.js';
import { CaError } from '../errors.js';
import { CertRole, roleToOu } from '../roles.js';
import { NodeIdentity, verifyNodeCertificate } from '../verify.js';

/** What authorization needs to know about the cluster, read at call time so rotations take effect at once. */
export interface PeerPolicy {
  caCertPem(): string;
  clusterId: string;
  deniedNodeIds(): Iterable<string>;
  /**
   * Whether the cluster holds this node as a manager now (the store's word, not the certificate's):
   * a manager certificate outlives a demotion — it stays valid until it expires — so manager-only
   * calls ask this too. Absent: the certificate's role alone decides (a CA without a store).
   */
  isManagerNow?(nodeId: string): boolean;
}

/** The part of a grpc-js server call (or intercepting call) used here; grpc-js does not export its AuthContext type. */
export interface HasAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate | undefined } | null;
}

/**
 * The caller's verified identity, or undefined when it presented no
 * certificate this cluster's CA issued. Throws for a denied node: a removed
 * node's certificate is still cryptographically valid until it expires.
 */
export function peerIdentity(call: HasAuthContext, policy: PeerPolicy): NodeIdentity | undefined {
  const peer = call.getAuthContext()?.sslPeerCertificate;
  if (peer?.raw === undefined) return undefined;
  let identity: NodeIdentity;
  try {
    // TLS already checked the chain; this also checks the cluster and the identity fields.
    identity = verifyNodeCertificate(new X509Certificate(peer.raw).toString(), { caCertPem: policy.caCertPem(), clusterId: policy.clusterId });
  } catch {
    return undefined;
  }
  if (isDenied(identity.nodeId, policy.deniedNodeIds())) {
    throw new CaError('node-denied', `node ${identity.nodeId} has been removed from the cluster: its certificate is refused`);
  }
  return identity;
}

/** The refusal of a manager certificate whose node the cluster no longer holds as a manager (demoted). */
export function noManagerNow(nodeId: string, what: string): CaError {
  return new CaError('permission-denied', `node ${nodeId} presented a manager certificate but is no manager of this cluster now (demoted): ${what} is for current managers only`);
}

/** The caller's identity, refusing calls without a valid cluster certificate. */
export function requirePeer(call: HasAuthContext, policy: PeerPolicy): NodeIdentity {
  const identity = peerIdentity(call, policy);
  if (identity === undefined) {
    throw new CaError('certificate-invalid', "this call needs a client certificate issued by the cluster's root CA");
  }
  return identity;
}

/** For handlers of manager-only calls (the control API reuses this): a worker certificate is refused. */
export function requireRole(call: HasAuthContext, policy: PeerPolicy, role: CertRole): NodeIdentity {
  const identity = requirePeer(call, policy);
  if (identity.role !== role) {
    throw new CaError('permission-denied', `node ${identity.nodeId} is a ${roleToOu(identity.role)}; this call is for ${roleToOu(role)} nodes only`);
  }
  if (role === NodeRole.NODE_ROLE_MANAGER && policy.isManagerNow?.(identity.nodeId) === false) throw noManagerNow(identity.nodeId, 'this call');
  return identity;
}
