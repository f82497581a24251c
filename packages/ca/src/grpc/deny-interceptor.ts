import { ResponderBuilder, ServerInterceptingCall, ServerInterceptor, ServerListenerBuilder } from '@grpc/grpc-js';
import { CaError } from '../errors.js';
import { peerIdentity, PeerPolicy } from './peer.js';
import { toStatus } from './status.js';

/**
 * The verify hook for every call on a server, whatever service it belongs to:
 * a call over a connection whose client certificate names a removed node is
 * ended with PERMISSION_DENIED before any handler runs. (grpc-js does not let
 * us veto the TLS handshake itself; this is the earliest point with the peer
 * certificate in hand.) Calls without a certificate pass; handlers decide
 * whether they need one.
 */
export function denyListInterceptor(policy: PeerPolicy): ServerInterceptor {
  return (_method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        try {
          peerIdentity(call, policy);
        } catch (err) {
          if (err instanceof CaError) {
            call.sendStatus(toStatus(err));
            return;
          }
          throw err;
        }
        next(metadata);
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}
