import { randomBytes } from 'node:crypto';
import { LogChunk, LogControlKind, LogStreamControl, LogStreamControlReply, type LogLine, type LogOptions } from '@flotilla/api';
import { BusErrorCode, isBusRequestError, request, subscribeMessages, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import type { Logger } from 'pino';

export interface TaskLogTimings {
  /** The node must accept the stream within this. */
  openTimeoutMs: number;
  /** A following stream sends keep-alives; this long without any chunk means the node is gone. */
  silenceMs: number;
  /** Each acknowledgement must be answered within this. */
  ackTimeoutMs: number;
}

export const DEFAULT_TASK_LOG_TIMINGS: TaskLogTimings = { openTimeoutMs: 5_000, silenceMs: 15_000, ackTimeoutMs: 5_000 };

export interface TaskLogRead {
  nc: BusConnection['nc'];
  subjects: ClusterSubjects;
  nodeId: string;
  /** How the node is named in notices. */
  nodeName: string;
  taskId: string;
  options: LogOptions;
  window: number;
  signal: AbortSignal;
  /** Hands lines on; the chunk is acknowledged (and the window reopened) once this resolves. */
  deliver(lines: LogLine[]): Promise<void>;
  log: Logger;
  timings?: Partial<TaskLogTimings>;
}

/** How one task's log ended: by itself, by the reader, or with a notice for the user. */
export type TaskLogOutcome = { kind: 'ended' } | { kind: 'cancelled' } | { kind: 'failed'; notice: string };

/**
 * Reads one task's container log from the agent of its node: subscribes to the stream's
 * subject before asking the node to open it, hands the chunks on strictly in order and
 * acknowledges each once handed on. A missing chunk number, a node that does not answer or
 * falls silent, and an agent-side error all end the read with a notice, never silently.
 */
export async function readTaskLog(r: TaskLogRead): Promise<TaskLogOutcome> {
  const t = { ...DEFAULT_TASK_LOG_TIMINGS, ...r.timings };
  const streamId = `ls${randomBytes(9).toString('hex')}`;
  const control = (req: Partial<LogStreamControl>, timeoutMs: number) =>
    request(r.nc, r.subjects.node.logs(r.nodeId), LogStreamControl, LogStreamControl.fromPartial({ streamId, ...req }), LogStreamControlReply, { timeoutMs });

  let settle!: (o: TaskLogOutcome) => void;
  const outcome = new Promise<TaskLogOutcome>((resolve) => (settle = resolve));
  let done = false;
  let expected = 1;
  let silence: NodeJS.Timeout | undefined;
  const finish = (o: TaskLogOutcome) => {
    if (done) return;
    done = true;
    settle(o);
  };
  const armSilence = () => {
    if (silence) clearTimeout(silence);
    silence = setTimeout(
      () => finish({ kind: 'failed', notice: `node ${r.nodeName} stopped sending this task's logs (nothing for ${t.silenceMs / 1000}s)` }),
      t.silenceMs,
    );
  };

  const sub = subscribeMessages(
    r.nc,
    r.subjects.logs.stream(r.nodeId, streamId),
    LogChunk,
    async (chunk) => {
      if (done) return;
      armSilence();
      if (chunk.seq !== expected) {
        finish({ kind: 'failed', notice: `lost ${chunk.seq - expected} log chunk(s) from node ${r.nodeName}; stopping this task's logs rather than showing them with a hole` });
        return;
      }
      expected++;
      if (chunk.lines.length > 0) await r.deliver(chunk.lines);
      if (chunk.end) {
        finish(chunk.error ? { kind: 'failed', notice: `cannot read the logs on node ${r.nodeName}: ${chunk.error}` } : { kind: 'ended' });
        return;
      }
      try {
        await control({ kind: LogControlKind.LOG_CONTROL_ACK, ackedSeq: chunk.seq }, t.ackTimeoutMs);
      } catch (err) {
        finish({ kind: 'failed', notice: `node ${r.nodeName} stopped answering while sending this task's logs: ${err instanceof Error ? err.message : String(err)}` });
      }
    },
    { logger: r.log },
  );
  const onAbort = () => finish({ kind: 'cancelled' });
  r.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (r.signal.aborted) return { kind: 'cancelled' };
    // The subscription must be in place on the server before the node starts publishing.
    await r.nc.flush();
    armSilence();
    control({ kind: LogControlKind.LOG_CONTROL_OPEN, taskId: r.taskId, options: r.options, window: r.window }, t.openTimeoutMs).catch((err: unknown) =>
      finish({ kind: 'failed', notice: openFailure(err, r.nodeName, t.openTimeoutMs) }),
    );
    const result = await outcome;
    if (result.kind !== 'ended') {
      // Tell the node to stop (it also stops by itself once acks stop coming).
      await control({ kind: LogControlKind.LOG_CONTROL_CANCEL }, t.ackTimeoutMs).catch(() => undefined);
    }
    return result;
  } finally {
    done = true;
    if (silence) clearTimeout(silence);
    r.signal.removeEventListener('abort', onAbort);
    await sub.stop();
  }
}

function openFailure(err: unknown, nodeName: string, timeoutMs: number): string {
  if (isBusRequestError(err, BusErrorCode.DEADLINE_EXCEEDED)) return `node ${nodeName} did not answer within ${timeoutMs / 1000}s; its logs are unavailable`;
  if (isBusRequestError(err, BusErrorCode.UNAVAILABLE)) return `node ${nodeName} is not connected; its logs are unavailable`;
  return `node ${nodeName} refused to send the logs: ${err instanceof Error ? err.message : String(err)}`;
}
