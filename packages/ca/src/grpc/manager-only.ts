import { ServerInterceptor } from '@grpc/grpc-js';
import { NodeRole } from '@flotilla/api';
import { CaError } from '../errors.js';
import { roleToOu } from '../roles.js';
import { NodeIdentity } from '../verify.js';
import { callGate, type GateRefused } from './call-gate.js';
import { noManagerNow, peerIdentity, PeerPolicy } from './peer.js';

/** What a manager-only call is refused with, or nothing when it may go ahead. */
export type ManagerOnlyDecision = { allowed: true } | { allowed: false; error: CaError };

/**
 * The rule for the manager-only APIs on the managers' port (the control API): the caller must
 * present a certificate this cluster's CA issued (TLS verified it; `peer` is undefined when it
 * presented none, or one that is expired or from another CA, since grpc-js hides unverified
 * certificates), for this cluster, with OU=flotilla-manager, of a node the cluster holds as a
 * manager now (`isManagerNow`, when given: a demoted manager's old certificate is still valid).
 * Removed nodes never get here: the deny-list check refuses them first.
 */
export function decideManagerOnlyCall(request: {
  methodPath: string;
  apiName: string;
  clusterId: string;
  peer: NodeIdentity | undefined;
  isManagerNow?: (nodeId: string) => boolean;
}): ManagerOnlyDecision {
  const { peer } = request;
  if (peer === undefined) {
    return {
      allowed: false,
      error: new CaError('certificate-invalid', `a client certificate is required for ${request.apiName} (none was presented that this cluster's root CA issued and that is valid now)`),
    };
  }
  if (peer.clusterId !== request.clusterId) {
    return { allowed: false, error: new CaError('certificate-invalid', `a client certificate of cluster ${request.clusterId} is required for ${request.apiName}, not one of cluster ${peer.clusterId}`) };
  }
  if (peer.role !== NodeRole.NODE_ROLE_MANAGER) {
    return {
      allowed: false,
      error: new CaError(
        'permission-denied',
        `${methodName(request.methodPath)} is for ${roleToOu(NodeRole.NODE_ROLE_MANAGER)} certificates only; node ${peer.nodeId} presented a ${roleToOu(peer.role)} certificate`,
      ),
    };
  }
  if (request.isManagerNow?.(peer.nodeId) === false) return { allowed: false, error: noManagerNow(peer.nodeId, request.apiName) };
  return { allowed: true };
}

/** "/flotilla.Control/CreateService" → "flotilla.Control/CreateService". */
function methodName(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

/**
 * Applies decideManagerOnlyCall to every call whose method path `apiOf` names an API for (the
 * methods of the services registered as manager-only); other calls pass untouched.
 */
export function managerOnlyInterceptor(policy: PeerPolicy, apiOf: (methodPath: string) => string | undefined, onRefused?: GateRefused): ServerInterceptor {
  return callGate((methodPath, call) => {
    const apiName = apiOf(methodPath);
    if (apiName === undefined) return;
    const decision = decideManagerOnlyCall({ methodPath, apiName, clusterId: policy.clusterId, peer: peerIdentity(call, policy), ...(policy.isManagerNow ? { isManagerNow: (id: string) => policy.isManagerNow!(id) } : {}) });
    if (!decision.allowed) throw decision.error;
  }, onRefused);
}
