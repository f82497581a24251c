import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ControlClient, type InfoResponse, type VersionResponse } from '@flotilla/api';
import { controlCallError } from './errors.js';
import type { ControlHost } from './host.js';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** The Control API as promises whose failures are already user-facing CliErrors. */
export interface ControlApi {
  version(): Promise<VersionResponse>;
  info(): Promise<InfoResponse>;
  close(): void;
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

export function connectControl(host: ControlHost, timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS): ControlApi {
  // Plaintext only because the target is the local unix socket, which its 0600 mode guards
  // the way docker.sock is guarded; network hosts are refused by parseHost.
  const client = new ControlClient(host.target, credentials.createInsecure());
  const call = <Req, Res>(rpc: string, method: Unary<Req, Res>, request: Req): Promise<Res> =>
    new Promise((resolve, reject) => {
      method.call(client, request, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, response) =>
        err ? reject(controlCallError(err, host.url, rpc, timeoutMs)) : resolve(response),
      );
    });
  return {
    version: () => call('Version', client.version as Unary<object, VersionResponse>, {}),
    info: () => call('Info', client.info as Unary<object, InfoResponse>, {}),
    close: () => client.close(),
  };
}
