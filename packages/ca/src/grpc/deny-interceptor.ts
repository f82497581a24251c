import { ServerInterceptor } from '@grpc/grpc-js';
import { callGate, type GateRefused } from './call-gate.js';
import { peerIdentity, PeerPolicy } from './peer.js';

/**
 * The verify hook for every call on a server, whatever service it belongs to:
 * a call over a connection whose client certificate names a removed node is
 * ended with PERMISSION_DENIED before any handler runs. (grpc-js does not let
 * us veto the TLS handshake itself; this is the earliest point with the peer
 * certificate in hand.) Calls without a certificate pass; handlers decide
 * whether they need one.
 */
export function denyListInterceptor(policy: PeerPolicy, onRefused?: GateRefused): ServerInterceptor {
  return callGate((_method, call) => {
    peerIdentity(call, policy);
  }, onRefused);
}
