import { StoreOp, type LogOptions, type ServiceLogsMessage, type ServiceLogsRequest } from '@flotilla/api';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { hasReadableContainer, logTarget, selectLogTargets, type LogTarget } from '../logs/log-targets.js';
import { ServerStream } from '../logs/server-stream.js';
import { readTaskLog, type TaskLogTimings } from '../logs/task-log-reader.js';
import type { SwarmController } from '../swarm/swarm-controller.js';
import { invalidArgument } from './control-error.js';
import { upToDateManager } from './up-to-date-manager.js';

/** Chunks each task's agent may have in flight: enough to keep a fast log moving, small enough to bound memory. */
const LOG_WINDOW = 8;

/**
 * `service logs`: reads every task's container log from its node's agent over NATS, at once,
 * and streams the lines to the CLI tagged with their task. A task whose node is down, does not
 * answer or loses chunks gets one notice instead of hanging. With follow, tasks that start
 * later are read too, and the call ends when the service is removed or the client goes.
 */
export function logsHandlers(swarm: SwarmController, log: Logger, timings?: Partial<TaskLogTimings>) {
  return {
    serviceLogs: (call: ServerWritableStream<ServiceLogsRequest, ServiceLogsMessage>): void => {
      const out = new ServerStream<ServiceLogsMessage>(call, 'ServiceLogs', log);
      streamLogs(swarm, call.request, out, log, timings).then(
        () => out.end(),
        (err: unknown) => out.fail(err),
      );
    },
  };
}

async function streamLogs(swarm: SwarmController, req: ServiceLogsRequest, out: ServerStream<ServiceLogsMessage>, log: Logger, timings?: Partial<TaskLogTimings>): Promise<void> {
  const rt = await upToDateManager(swarm);
  const options: LogOptions = req.options ?? { follow: false, tail: -1, sinceUnixMs: 0, timestamps: false };
  if (!Number.isInteger(options.tail) || options.tail < -1) throw invalidArgument(`invalid --tail ${options.tail}: expected a number of lines or "all"`);
  if (options.sinceUnixMs < 0) throw invalidArgument('invalid --since: before 1970');
  const store = rt.member.store;
  // Watch before reading the view, in one step, so no task or removal falls in between.
  const watch = options.follow ? store.watch({ kinds: ['service', 'task'] }) : undefined;
  let selection: ReturnType<typeof selectLogTargets>;
  try {
    selection = selectLogTargets(store.view(), req.target);
  } catch (err) {
    watch?.close();
    throw err;
  }
  const started = new Set<string>();
  const reads: Promise<void>[] = [];
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  out.signal.addEventListener('abort', stop, { once: true });

  const read = (target: LogTarget, from: LogOptions = options): void => {
    if (started.has(target.context.taskId)) return;
    started.add(target.context.taskId);
    const context = target.context;
    const notice = (text: string) => out.write({ task: context, lines: [], notice: text });
    if (target.nodeDown) {
      reads.push(notice(`node ${context.nodeHostname} is down; the logs of this task are unavailable`));
      return;
    }
    reads.push(
      readTaskLog({
        nc: rt.bus.nc,
        subjects: rt.subjects,
        nodeId: context.nodeId,
        nodeName: context.nodeHostname,
        taskId: context.taskId,
        options: from,
        window: LOG_WINDOW,
        signal: stopped.signal,
        deliver: (lines) => out.write({ task: context, lines, notice: '' }),
        log,
        ...(timings ? { timings } : {}),
      }).then(async (outcome) => {
        if (outcome.kind === 'failed') await notice(outcome.notice);
      }),
    );
  };

  try {
    for (const t of selection.targets) read(t);
    if (!watch) {
      await Promise.all(reads);
      return;
    }
    const serviceId = selection.service?.id;
    const ended = new Promise<void>((resolve) => stopped.signal.addEventListener('abort', () => resolve(), { once: true }));
    const follow = (async () => {
      for await (const ev of watch) {
        const obj = ev.object?.kind;
        if (obj?.$case === 'service' && ev.op === StoreOp.STORE_OP_DELETE && obj.value.id === serviceId) break;
        if (selection.taskId || obj?.$case !== 'task' || obj.value.serviceId !== serviceId) continue;
        // A task that starts while following: every line it writes is new, so --tail does not apply.
        if (hasReadableContainer(obj.value)) read(logTarget(store.view(), obj.value, selection.service), { ...options, tail: -1 });
      }
    })();
    // A single task is followed until its container's log ends; a service until it is removed.
    await Promise.race(selection.taskId ? [follow, ended, Promise.all(reads)] : [follow, ended]);
  } finally {
    watch?.close();
    stop();
    await Promise.all(reads);
    out.signal.removeEventListener('abort', stop);
  }
}
