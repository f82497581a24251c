import { LogChunk, LogControlKind, LogStreamControl, LogStreamControlReply, type LogOptions } from '@flotilla/api';
import {
  BusErrorCode,
  BusRequestError,
  publishMessage,
  serve,
  subjectToken,
  type BusConnection,
  type ClusterSubjects,
  type Logger,
  type Served,
} from '@flotilla/bus';
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { openContainerLog, type ContainerLog } from './docker-logs.js';
import { LogStream, type LogStreamTimings } from './log-stream.js';

export const DEFAULT_LOG_WINDOW = 8;
/** More would let one reader make the agent buffer without bound. */
export const MAX_LOG_WINDOW = 64;
/** Concurrent streams one agent serves; more are refused rather than exhausting the engine. */
export const MAX_LOG_STREAMS = 256;

export interface LogServerOptions {
  nodeId: string;
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  docker: Docker;
  log: Logger;
  timings?: Partial<LogStreamTimings>;
  /** How to open a task's log; the engine by default (tests may feed their own bytes). */
  open?: (taskId: string, options: LogOptions, signal: AbortSignal) => Promise<Pick<ContainerLog, 'stream' | 'multiplexed'>>;
}

/**
 * The agent's end of `service logs`: answers OPEN/ACK/CANCEL on this node's logs subject and
 * publishes each stream's chunks under this node's own logs subject (the only one the NATS
 * permissions let it use).
 */
export class LogServer {
  private readonly streams = new Map<string, LogStream>();
  private served: Served | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: LogServerOptions) {
    this.log = opts.log.child({ component: 'agent-logs' });
  }

  start(): void {
    if (this.served) return;
    this.served = serve(this.opts.nc, this.opts.subjects.node.logs(this.opts.nodeId), LogStreamControl, LogStreamControlReply, (req) => this.handle(req), {
      logger: this.log,
    });
  }

  async stop(): Promise<void> {
    const served = this.served;
    this.served = undefined;
    for (const s of [...this.streams.values()]) s.cancel();
    await served?.stop();
  }

  get openStreams(): number {
    return this.streams.size;
  }

  private handle(req: LogStreamControl): LogStreamControlReply {
    const stream = this.streams.get(req.streamId);
    switch (req.kind) {
      case LogControlKind.LOG_CONTROL_OPEN:
        this.openStream(req);
        return { known: true };
      case LogControlKind.LOG_CONTROL_ACK:
        if (!stream) return { known: false };
        if (!stream.ack(req.ackedSeq)) throw new BusRequestError(BusErrorCode.INVALID_ARGUMENT, `log stream ${req.streamId}: ack of chunk ${req.ackedSeq}, which was not sent`);
        return { known: true };
      case LogControlKind.LOG_CONTROL_CANCEL:
        stream?.cancel();
        return { known: stream !== undefined };
      default:
        throw new BusRequestError(BusErrorCode.INVALID_ARGUMENT, `log stream ${req.streamId}: unknown control kind ${String(req.kind)}`);
    }
  }

  private openStream(req: LogStreamControl): void {
    const bad = (why: string) => new BusRequestError(BusErrorCode.INVALID_ARGUMENT, `opening log stream ${req.streamId}: ${why}`);
    try {
      subjectToken('log stream id', req.streamId);
    } catch (err) {
      throw bad((err as Error).message);
    }
    if (this.streams.has(req.streamId)) throw bad('a stream with that id is already open');
    if (!req.taskId) throw bad('a task id is required');
    if (!req.options) throw bad('log options are required');
    if (req.window > MAX_LOG_WINDOW) throw bad(`window ${req.window} is larger than ${MAX_LOG_WINDOW} chunks`);
    if (this.streams.size >= MAX_LOG_STREAMS) {
      throw new BusRequestError(BusErrorCode.UNAVAILABLE, `node ${this.opts.nodeId} already serves ${MAX_LOG_STREAMS} log streams; try again later`);
    }
    const subject = this.opts.subjects.logs.stream(this.opts.nodeId, req.streamId);
    const stream = new LogStream({
      streamId: req.streamId,
      window: req.window || DEFAULT_LOG_WINDOW,
      publish: (chunk) => publishMessage(this.opts.nc, subject, LogChunk, chunk),
      onDone: (id) => this.streams.delete(id),
      log: this.log,
      ...(this.opts.timings ? { timings: this.opts.timings } : {}),
    });
    this.streams.set(req.streamId, stream);
    const options = req.options;
    const open = this.opts.open ?? ((taskId: string, o: LogOptions, signal: AbortSignal) => openContainerLog(this.opts.docker, this.opts.nodeId, taskId, o, signal));
    // Answer OPEN at once and deliver the outcome (lines, or why not) as chunks: the reader is
    // already subscribed, and one ordered channel keeps "opened" and "failed" from racing.
    open(req.taskId, options, stream.signal).then(
      (opened: { stream: Readable; multiplexed: boolean }) => stream.attach(opened.stream, opened.multiplexed),
      (err: unknown) => {
        this.log.info({ err, taskId: req.taskId, streamId: req.streamId }, 'cannot open the task log');
        stream.failed(err instanceof Error ? err.message : String(err));
      },
    );
    this.log.debug({ taskId: req.taskId, streamId: req.streamId, follow: options.follow }, 'log stream opened');
  }
}
