import { DAEMON_STATUS_TRAILER } from '@flotilla/api';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/** A refusal the user caused; its message is the one line the CLI shows. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

export const notManager = () =>
  new ControlError(
    GrpcStatus.FAILED_PRECONDITION,
    'this node is not a swarm manager. Use "flotilla swarm init" or "flotilla swarm join" to connect this node to swarm and try again.',
  );
export const alreadyInSwarm = () =>
  new ControlError(GrpcStatus.FAILED_PRECONDITION, 'this node is already part of a swarm. Use "flotilla swarm leave" to leave this swarm and join another one.');
export const invalidArgument = (message: string) => new ControlError(GrpcStatus.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new ControlError(GrpcStatus.NOT_FOUND, message);
export const alreadyExists = (message: string) => new ControlError(GrpcStatus.ALREADY_EXISTS, message);
export const unavailable = (message: string) => new ControlError(GrpcStatus.UNAVAILABLE, message);

/** A status as flotillad answers it: marked so the CLI tells it from a call that never reached the daemon. */
export function daemonStatus(code: GrpcStatus, details: string): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(DAEMON_STATUS_TRAILER, '1');
  return { code, details, metadata };
}
