import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ControlError, daemonStatus } from '../control/control-error.js';

/**
 * A server-streaming call as the handlers need it: writes that wait while grpc's buffer is
 * full (so a slow client slows the producer instead of growing memory), an abort signal for
 * a client that went away, and one way to end with success or with a status.
 */
export class ServerStream<Res> {
  private readonly abort = new AbortController();
  private closed = false;

  constructor(
    private readonly call: ServerWritableStream<unknown, Res>,
    private readonly rpc: string,
    private readonly log: Logger,
  ) {
    call.on('cancelled', () => this.abort.abort());
    call.on('close', () => this.abort.abort());
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Resolves once grpc can take more (or at once when the client has gone). */
  async write(message: Res): Promise<void> {
    if (this.closed || this.abort.signal.aborted) return;
    if (this.call.write(message)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.call.off('drain', done);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      this.call.once('drain', done);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.call.end();
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    if (err instanceof ControlError) {
      this.call.emit('error', daemonStatus(err.code, err.message));
      return;
    }
    this.log.error({ rpc: this.rpc, err }, `control ${this.rpc} failed`);
    this.call.emit('error', daemonStatus(GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err)));
  }
}
