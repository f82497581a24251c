import { status as GrpcStatus, type sendUnaryData, type ServerReadableStream, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { SpecError } from '@flotilla/api';
import { NameConflict, NotFound, RaftMemberError } from '@flotilla/raft';
import type { Logger } from 'pino';
import { ControlError, daemonStatus } from './control-error.js';
import { StoreRefused } from '../manager/store-writer.js';

/** Adapts a promise-returning handler to grpc-js, turning known refusals into statuses. */
export function unary<Req, Res>(log: Logger, rpc: string, body: (request: Req) => Promise<Res> | Res) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => body(call.request))
      .then(
        (response) => callback(null, response),
        (err: unknown) => {
          const status = toStatus(err, rpc, log);
          callback(daemonStatus(status.code ?? GrpcStatus.UNKNOWN, status.details ?? ''));
        },
      );
  };
}

/** Adapts a handler of a client-streaming call (the request arrives in pieces) like `unary`. */
export function clientStream<Req, Res>(log: Logger, rpc: string, body: (requests: AsyncIterable<Req>) => Promise<Res>) {
  return (call: ServerReadableStream<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => body(call as AsyncIterable<Req>))
      .then(
        (response) => callback(null, response),
        (err: unknown) => {
          const status = toStatus(err, rpc, log);
          callback(daemonStatus(status.code ?? GrpcStatus.UNKNOWN, status.details ?? ''));
        },
      );
  };
}

function toStatus(err: unknown, rpc: string, log: Logger): Partial<ServiceError> {
  if (err instanceof ControlError) return { code: err.code, details: err.message };
  if (err instanceof SpecError) return { code: GrpcStatus.INVALID_ARGUMENT, details: err.message };
  if (err instanceof StoreRefused) {
    if (err.cause instanceof NameConflict) return { code: GrpcStatus.ALREADY_EXISTS, details: err.message };
    if (err.cause instanceof NotFound) return { code: GrpcStatus.NOT_FOUND, details: err.message };
    return { code: GrpcStatus.FAILED_PRECONDITION, details: err.message };
  }
  if (err instanceof RaftMemberError) {
    log.warn({ rpc, err }, `control ${rpc}: the store could not take the write`);
    // A full disk may have refused the write or only delayed it here (committed, or in the log): the message says which.
    if (err.code === 'NO_SPACE') return { code: GrpcStatus.UNAVAILABLE, details: `this manager's disk is full (NO_SPACE): ${err.message}` };
    return { code: GrpcStatus.UNAVAILABLE, details: `the swarm could not take the change (${err.code}): ${err.message}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  log.error({ rpc, err }, `control ${rpc} failed`);
  return { code: GrpcStatus.INTERNAL, details: message };
}
