import { Metadata, status as GrpcStatus, type ClientReadableStream } from '@grpc/grpc-js';
import { controlCallError } from './errors.js';

/** A server-streaming call in progress: `done` settles when it ends; `cancel` ends it from here. */
export interface ControlStream {
  readonly done: Promise<void>;
  cancel(): void;
}

type StreamingMethod<Req, Res> = (request: Req, metadata: Metadata) => ClientReadableStream<Res>;

/**
 * Runs a server-streaming rpc without a deadline (it lasts as long as the user wants), handing
 * each message to `onMessage` in order. Our own cancel ends it quietly; any other failure
 * rejects `done` with the user-facing CliError.
 */
export function controlStream<Req, Res>(
  client: object,
  method: (...args: never[]) => unknown,
  rpc: string,
  hostUrl: string,
  request: Req,
  onMessage: (message: Res) => void,
): ControlStream {
  const call = (method as unknown as StreamingMethod<Req, Res>).call(client, request, new Metadata());
  let cancelled = false;
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (message: Res) => {
      try {
        onMessage(message);
      } catch (err) {
        cancelled = true;
        call.cancel();
        reject(err);
      }
    });
    call.on('error', (err: { code?: number }) => {
      if (cancelled && err.code === GrpcStatus.CANCELLED) resolve();
      else reject(controlCallError(err, hostUrl, rpc, 0));
    });
    call.on('end', () => resolve());
  });
  return {
    done,
    cancel() {
      cancelled = true;
      call.cancel();
    },
  };
}
