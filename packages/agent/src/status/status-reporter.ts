import { TaskStatusAck, TaskStatusBatch, type TaskStatus } from '@flotilla/api';
import { BusErrorCode, isBusRequestError, request, type BusConnection, type ClusterSubjects, type Logger } from '@flotilla/bus';
import { backoffMs, Sleeper } from '../session/abortable-sleep.js';
import { sendDelayMs } from './send-window.js';

export interface StatusReporterOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  nodeId: string;
  log: Logger;
  /** The live session, if any; nothing is sent without one. */
  sessionId(): string | undefined;
  /** The dispatcher refused the session: the session client must open a new one. */
  sessionRejected(sessionId: string): void;
  /** The least time between two requests (see sendDelayMs). Default 20 ms. */
  delayMs?: number;
  maxBatch?: number;
  requestTimeoutMs?: number;
}

/**
 * Sends task statuses to the dispatcher in batches. Only the latest status of a task is
 * kept (an older one waiting to be sent is replaced); a status leaves the queue once the
 * dispatcher acknowledged it, so failures and session changes lose nothing.
 */
export class StatusReporter {
  private readonly pending = new Map<string, TaskStatus>();
  private loop: Promise<void> | undefined;
  private readonly sleeper = new Sleeper();
  private closed = false;
  /** When the last request was sent (ms since the epoch). */
  private lastSentAt = -Infinity;
  private readonly delayMs: number;
  private readonly maxBatch: number;

  constructor(private readonly opts: StatusReporterOptions) {
    this.delayMs = opts.delayMs ?? 20;
    this.maxBatch = opts.maxBatch ?? 200;
  }

  push(taskId: string, status: TaskStatus): void {
    this.pending.set(taskId, status);
    this.kick();
  }

  /** A new session is open: send what waits. */
  sessionChanged(): void {
    this.kick();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Tries to send what waits (bounded by `timeoutMs`), then stops sending. */
  async close(timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && this.opts.sessionId() && Date.now() < deadline) {
      if (!(await this.sendBatch())) break;
    }
    this.closed = true;
    this.sleeper.wake();
    await this.loop;
  }

  private kick(): void {
    if (this.closed || this.loop) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (this.pending.size > 0 && this.opts.sessionId() && !this.closed) this.kick();
    });
  }

  private async run(): Promise<void> {
    // Even a zero sleep yields a turn, so statuses pushed together (ACCEPTED, PREPARING) share a request.
    await this.sleeper.sleep(sendDelayMs(this.lastSentAt, Date.now(), this.delayMs));
    let failures = 0;
    while (!this.closed && this.pending.size > 0 && this.opts.sessionId()) {
      if (await this.sendBatch()) failures = 0;
      else await this.sleeper.sleep(backoffMs(failures++));
    }
  }

  /** One request; true when the dispatcher answered it. */
  private async sendBatch(): Promise<boolean> {
    const sessionId = this.opts.sessionId();
    if (!sessionId) return false;
    const sent = [...this.pending].slice(0, this.maxBatch);
    this.lastSentAt = Date.now();
    const { nc, subjects, nodeId, log } = this.opts;
    try {
      const ack = await request(
        nc,
        subjects.dispatcher.status(nodeId),
        TaskStatusBatch,
        { sessionId, updates: sent.map(([taskId, status]) => ({ taskId, status })) },
        TaskStatusAck,
        { timeoutMs: this.opts.requestTimeoutMs ?? 5_000 },
      );
      for (const [taskId, status] of sent) if (this.pending.get(taskId) === status) this.pending.delete(taskId);
      for (const r of ack.rejected) log.warn({ taskId: r.taskId, reason: r.reason }, 'the dispatcher refused a task status');
      return true;
    } catch (err) {
      if (isBusRequestError(err, BusErrorCode.NOT_FOUND)) {
        this.opts.sessionRejected(sessionId);
        return false;
      }
      log.warn({ err, statuses: sent.length }, 'sending task statuses failed; will retry');
      return false;
    }
  }
}
