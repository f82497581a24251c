import {
  HeartbeatRequest,
  HeartbeatResponse,
  OpenSessionRequest,
  OpenSessionResponse,
  type NodeDescription,
} from '@flotilla/api';
import { BusErrorCode, isBusRequestError, request, type BusConnection, type ClusterSubjects, type Logger } from '@flotilla/bus';
import { backoffMs, Sleeper } from './abortable-sleep.js';

export interface SessionClientOptions {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  nodeId: string;
  describe: () => Promise<NodeDescription>;
  log: Logger;
  /** A session was opened (the previous one, if any, is over). */
  onSession(sessionId: string): void;
  /** A heartbeat was answered. */
  onHeartbeat?(sessionId: string, res: HeartbeatResponse): void;
  requestTimeoutMs?: number;
}

/**
 * Keeps a session with the dispatcher: opens it, heartbeats at the period the dispatcher
 * names, and opens a new one when the dispatcher no longer knows the session (NOT_FOUND:
 * the node was marked down, or the dispatcher restarted). Transport failures are retried
 * with backoff; the NATS connection reconnects by itself underneath.
 */
export class SessionClient {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly sleeper = new Sleeper();
  private current: string | undefined;
  private reopenRequested = false;

  constructor(private readonly opts: SessionClientOptions) {}

  get sessionId(): string | undefined {
    return this.current;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops heartbeating; the dispatcher will mark the node down after the grace. */
  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.wake();
    await this.loop;
    this.current = undefined;
  }

  /** Someone was told the session is unknown: open a new one now. */
  sessionRejected(sessionId: string): void {
    if (sessionId !== this.current) return;
    this.reopenRequested = true;
    this.sleeper.wake();
  }

  private get timeoutMs(): number {
    return this.opts.requestTimeoutMs ?? 5_000;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      const opened = await this.open().catch((err: unknown) => {
        this.opts.log.warn({ err, attempt }, 'opening a session with the dispatcher failed; retrying');
        return undefined;
      });
      if (!opened) {
        await this.sleeper.sleep(backoffMs(attempt++));
        continue;
      }
      attempt = 0;
      await this.heartbeatUntilLost(opened.sessionId, opened.heartbeatPeriodMs);
    }
  }

  private async open(): Promise<OpenSessionResponse> {
    const { nc, subjects, nodeId } = this.opts;
    const description = await this.opts.describe();
    const res = await request(nc, subjects.dispatcher.session(nodeId), OpenSessionRequest, { nodeId, description }, OpenSessionResponse, {
      timeoutMs: this.timeoutMs,
    });
    this.current = res.sessionId;
    this.reopenRequested = false;
    this.opts.log.info({ sessionId: res.sessionId, heartbeatPeriodMs: res.heartbeatPeriodMs }, 'session opened');
    this.opts.onSession(res.sessionId);
    return res;
  }

  private async heartbeatUntilLost(sessionId: string, initialPeriodMs: number): Promise<void> {
    const { nc, subjects, nodeId, log } = this.opts;
    let periodMs = initialPeriodMs;
    let failures = 0;
    while (this.running) {
      // After a failed heartbeat, retry sooner: the grace is only a few periods long.
      await this.sleeper.sleep(failures === 0 ? periodMs : Math.min(periodMs, backoffMs(failures - 1)));
      if (!this.running) return;
      if (this.reopenRequested) {
        log.info({ sessionId }, 'session refused by the dispatcher; opening a new one');
        return;
      }
      try {
        const res = await request(nc, subjects.dispatcher.heartbeat(nodeId), HeartbeatRequest, { sessionId }, HeartbeatResponse, {
          timeoutMs: Math.min(this.timeoutMs, Math.max(periodMs, 500)),
        });
        periodMs = res.periodMs > 0 ? res.periodMs : periodMs;
        failures = 0;
        this.opts.onHeartbeat?.(sessionId, res);
      } catch (err) {
        if (isBusRequestError(err, BusErrorCode.NOT_FOUND)) {
          log.warn({ sessionId, reason: err.message }, 'the dispatcher no longer knows this session; opening a new one');
          return;
        }
        failures++;
        log.warn({ err, sessionId, failures }, 'heartbeat failed');
      }
    }
  }
}
