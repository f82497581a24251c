import { ResponderBuilder, ServerInterceptingCall, ServerInterceptor, ServerListenerBuilder } from '@grpc/grpc-js';
import { CaError } from '../errors.js';
import { HasAuthContext } from './peer.js';
import { toStatus } from './status.js';

/**
 * A server interceptor that runs `check` once the call's metadata arrives (the earliest point
 * where grpc-js shows the verified peer certificate) and ends the call with the status of the
 * CaError it throws, before any handler runs. Any other error is a bug and propagates.
 */
/** Told of every call a gate ends (to count it); `peer` is grpc-js's "ipv4:10.0.0.5:41234". */
export type GateRefused = (err: CaError, peer: string, methodPath: string) => void;

export function callGate(check: (methodPath: string, call: HasAuthContext) => void, onRefused?: GateRefused): ServerInterceptor {
  return (method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        try {
          check(method.path, call);
        } catch (err) {
          if (err instanceof CaError) {
            onRefused?.(err, call.getPeer(), method.path);
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
