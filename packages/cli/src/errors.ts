import { DAEMON_STATUS_TRAILER } from '@flotilla/api';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/** An error whose message is the whole line shown to the user (no stack trace). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && 'code' in err && typeof err.code === 'number' && 'details' in err;
}

/** Turns a failed control call into the one line the user needs to act on. */
export function controlCallError(err: unknown, host: string, rpc: string, timeoutMs: number): CliError {
  if (!isServiceError(err)) return new CliError(`${rpc} against flotillad at ${host} failed: ${String(err)}`);
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
      // The daemon answered that it cannot serve this now (e.g. no Raft leader): its words, not "is it running?".
      if (err.metadata?.get(DAEMON_STATUS_TRAILER).length) return new CliError(err.details);
      if (/\bEACCES\b/.test(err.details)) {
        return new CliError(`permission denied connecting to flotillad at ${host}: run as the user that owns the socket (usually root)`);
      }
      // Over tcp:// the reason is often TLS (not a manager of this cluster, unknown CA): say it.
      if (host.startsWith('tcp://')) return new CliError(`cannot connect to flotillad at ${host}: ${err.details}`);
      return new CliError(`cannot connect to flotillad at ${host}: is it running?`);
    case GrpcStatus.PERMISSION_DENIED:
      // An authorization plugin's denial, or a plugin's missing grant: the daemon's words are the line.
      if (/^(authorization (denied|plugin)|plugin )/.test(err.details)) return new CliError(err.details);
      return new CliError(`permission denied by flotillad at ${host}: ${err.details}`);
    case GrpcStatus.UNAUTHENTICATED:
      return new CliError(`flotillad at ${host} did not accept this client: ${err.details}`);
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new CliError(`flotillad at ${host} did not answer ${rpc} within ${timeoutMs / 1000}s`);
    case GrpcStatus.UNIMPLEMENTED:
      return new CliError(`flotillad at ${host} does not support ${rpc}: is it older than this flotilla CLI?`);
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.NOT_FOUND:
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.FAILED_PRECONDITION:
      // The daemon's refusal of what the user asked: its message is the whole story.
      return new CliError(err.details || err.message);
    default:
      return new CliError(`flotillad could not answer ${rpc}: ${err.details || err.message}`);
  }
}
