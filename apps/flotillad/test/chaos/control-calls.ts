// One control API call over a daemon's unix socket, as the CLI makes it (a fresh connection, the
// CLI's deadline), answering the gRPC status instead of the CLI's one-line message: the chaos
// clients need to tell a refusal (known not applied) from a call whose fate is unknown.
import { ControlClient } from '@flotilla/api';
import { DEFAULT_CALL_TIMEOUT_MS } from '@flotilla/cli';
import { credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

export type CallResult<Res> = { readonly ok: true; readonly res: Res } | { readonly ok: false; readonly code: GrpcStatus; readonly details: string };

type Method = 'createService' | 'getService' | 'listServices' | 'updateService' | 'scaleService' | 'removeService' | 'listTasks' | 'listNodes';

type Unary = (req: unknown, md: Metadata, opts: { deadline: Date }, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

export async function control<Res>(socket: string, method: Method, request: unknown, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<CallResult<Res>> {
  const client = new ControlClient(`unix://${socket}`, credentials.createInsecure());
  try {
    return await new Promise<CallResult<Res>>((resolve) => {
      (client[method] as unknown as Unary).call(client, request, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, res) =>
        resolve(err ? { ok: false, code: err.code, details: err.details || err.message } : { ok: true, res: res as Res }),
      );
    });
  } finally {
    client.close();
  }
}

/** True when the call never reached the daemon (nothing listened on the socket). */
export function neverSent(r: { code: GrpcStatus; details: string }): boolean {
  return r.code === GrpcStatus.UNAVAILABLE && /ECONNREFUSED|ENOENT|No connection established|failed to connect/i.test(r.details);
}

/**
 * How a failed write ended for its client: `refused` (the daemon said no before or instead of
 * applying it: bad input, a stale version, not a manager, or never sent) or `unknown` (a timeout,
 * a dropped connection, "the swarm could not take the change": it may have applied).
 * NOT_FOUND and ALREADY_EXISTS are answers, handled by the caller before this.
 */
export function failedWrite(r: { code: GrpcStatus; details: string }): 'refused' | 'unknown' {
  if (neverSent(r)) return 'refused';
  if (r.code === GrpcStatus.INVALID_ARGUMENT || r.code === GrpcStatus.FAILED_PRECONDITION) return 'refused';
  return 'unknown';
}

export { GrpcStatus };
