import type { LogChunk, LogLine } from '@flotilla/api';
import type { Logger } from '@flotilla/bus';
import type { Readable } from 'node:stream';
import { ChunkWindow } from './chunk-window.js';
import { LineBatch } from './line-batch.js';
import { LogDecoder } from './log-decoder.js';

export interface LogStreamTimings {
  /** How long lines may wait for more to share their chunk. */
  flushMs: number;
  /** A following stream with nothing to say sends an empty chunk this often, so the reader knows we are alive. */
  keepAliveMs: number;
  /** Chunks unacknowledged this long mean the reader is gone: the stream stops. */
  ackTimeoutMs: number;
}

export const DEFAULT_LOG_TIMINGS: LogStreamTimings = { flushMs: 20, keepAliveMs: 5_000, ackTimeoutMs: 30_000 };

export interface LogStreamOptions {
  streamId: string;
  window: number;
  publish(chunk: LogChunk): void;
  /** Told once, when the stream has ended for any reason. */
  onDone(streamId: string): void;
  log: Logger;
  timings?: Partial<LogStreamTimings>;
  maxLinesPerChunk?: number;
  maxBytesPerChunk?: number;
}

/**
 * One reader's view of one container log: the engine's bytes decoded into lines, sent in
 * numbered chunks within the reader's window. While the window is full the engine stream is
 * paused, so a slow reader slows the read instead of losing lines or growing memory; once
 * the engine stream ends, the remaining lines and a last `end` chunk follow in order.
 */
export class LogStream {
  private readonly window: ChunkWindow;
  private readonly batch: LineBatch;
  private readonly timings: LogStreamTimings;
  private readonly abort = new AbortController();
  private decoder: LogDecoder | undefined;
  private source: Readable | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private lastAckAt = Date.now();
  private lastSentAt = Date.now();
  private sourceEnded = false;
  private endError = '';
  private finished = false;

  constructor(private readonly opts: LogStreamOptions) {
    this.window = new ChunkWindow(opts.window);
    this.batch = new LineBatch(opts.maxLinesPerChunk ?? 500, opts.maxBytesPerChunk ?? 64 * 1024);
    this.timings = { ...DEFAULT_LOG_TIMINGS, ...opts.timings };
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Starts sending what `source` delivers. */
  attach(source: Readable, multiplexed: boolean): void {
    if (this.finished) {
      source.destroy();
      return;
    }
    this.source = source;
    this.decoder = new LogDecoder(multiplexed);
    source.on('data', (bytes: Buffer) => this.lines(this.decoder!.push(bytes)));
    source.on('end', () => this.sourceDone(''));
    source.on('close', () => this.sourceDone(''));
    source.on('error', (err: Error) => this.sourceDone(this.abort.signal.aborted ? '' : `reading the container log: ${err.message}`));
    this.keepAliveTimer = setInterval(() => this.tick(), Math.min(this.timings.keepAliveMs, this.timings.ackTimeoutMs) / 2);
  }

  /** The log could not be opened: one end chunk saying why. */
  failed(reason: string): void {
    this.sourceEnded = true;
    this.endError = reason;
    this.pump();
  }

  ack(seq: number): boolean {
    if (!this.window.ack(seq)) return false;
    this.lastAckAt = Date.now();
    this.pump();
    return true;
  }

  /** The reader has gone: stop reading and forget everything. */
  cancel(): void {
    this.finish();
  }

  private lines(lines: LogLine[]): void {
    if (lines.length === 0) return;
    this.batch.add(lines);
    if (this.batch.ripe) this.pump();
    else this.flushTimer ??= setTimeout(() => this.pump(), this.timings.flushMs);
  }

  private sourceDone(error: string): void {
    if (this.sourceEnded) return;
    this.sourceEnded = true;
    this.endError = error;
    if (this.decoder) this.batch.add(this.decoder.end());
    this.pump();
  }

  /** Sends what the window allows; pauses the engine stream while lines back up. */
  private pump(): void {
    if (this.finished) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    while (!this.window.full && this.batch.size > 0) {
      this.send(this.batch.take(), false);
    }
    if (this.sourceEnded && this.batch.size === 0 && !this.window.full) {
      this.send([], true);
      this.finish();
      return;
    }
    if (!this.source) return;
    const backedUp = this.window.full && this.batch.ripe;
    if (backedUp && !this.source.isPaused()) this.source.pause();
    else if (!backedUp && this.source.isPaused()) this.source.resume();
  }

  private send(lines: LogLine[], end: boolean): void {
    const chunk: LogChunk = { streamId: this.opts.streamId, seq: this.window.next(), lines, end, error: end ? this.endError : '' };
    this.lastSentAt = Date.now();
    try {
      this.opts.publish(chunk);
    } catch (err) {
      this.opts.log.warn({ err, streamId: this.opts.streamId }, 'publishing a log chunk failed; stopping the stream');
      this.finish();
    }
  }

  private tick(): void {
    const now = Date.now();
    if (this.window.inFlight > 0 && now - this.lastAckAt > this.timings.ackTimeoutMs) {
      this.opts.log.info({ streamId: this.opts.streamId, unacked: this.window.inFlight }, 'log reader stopped acknowledging; ending the stream');
      this.finish();
      return;
    }
    if (this.window.inFlight === 0) this.lastAckAt = now;
    if (!this.window.full && this.batch.size === 0 && now - this.lastSentAt >= this.timings.keepAliveMs) this.send([], false);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.abort.abort();
    this.source?.destroy();
    this.opts.onDone(this.opts.streamId);
  }
}
