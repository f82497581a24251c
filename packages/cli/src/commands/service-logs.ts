import { LogSource, taskSlotName, type LogLine, type LogTaskContext, type ServiceLogsMessage } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseTimeArg } from './time-arg.js';

/** `service logs` options as commander hands them over. */
export interface ServiceLogsOptions {
  follow?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
  /** commander's negatable `--no-task-ids`: false when given. */
  taskIds?: boolean;
  /** `--no-trunc`: full ids in the prefix. */
  noTrunc?: boolean;
}

const usage = (message: string) => new CliError(message, 2);

export function parseTail(value: string | undefined): number {
  if (value === undefined || value === 'all') return -1;
  if (!/^\d+$/.test(value)) throw usage(`invalid argument "${value}" for "--tail" flag: expected a number of lines or "all"`);
  return Number(value);
}

export interface PrefixOptions {
  taskIds: boolean;
  noTrunc: boolean;
}

/** docker's `<service>.<slot>.<task id>@<node>    | `; a global task is named by its node instead of a slot. */
export function logPrefix(task: LogTaskContext | undefined, o: PrefixOptions): string {
  if (!task) return '';
  const short = (id: string) => (o.noTrunc ? id : id.slice(0, 12));
  let name = taskSlotName(task.serviceName, task, short);
  if (o.taskIds) name += `.${short(task.taskId)}`;
  return `${name}@${task.nodeHostname}    | `;
}

export function formatLogLine(prefix: string, line: LogLine, timestamps: boolean): string {
  return `${timestamps && line.timestamp ? `${line.timestamp} ` : ''}${prefix}${line.text}\n`;
}

/** Renders one message: output lines to stdout or stderr as the container wrote them, notices to stderr. */
export function renderLogsMessage(m: ServiceLogsMessage, o: PrefixOptions & { timestamps: boolean }, out: (t: string) => void, err: (t: string) => void): void {
  const prefix = logPrefix(m.task, o);
  if (m.notice) err(`${prefix}flotilla: ${m.notice}\n`);
  for (const line of m.lines) (line.source === LogSource.LOG_SOURCE_STDERR ? err : out)(formatLogLine(prefix, line, o.timestamps));
}

export async function serviceLogsCommand(ctx: CommandContext, target: string, opts: ServiceLogsOptions, nowMs = Date.now()): Promise<void> {
  const options = {
    follow: opts.follow === true,
    tail: parseTail(opts.tail),
    sinceUnixMs: opts.since === undefined ? 0 : parseTimeArg('--since', opts.since, nowMs),
    timestamps: opts.timestamps === true,
  };
  const render = { taskIds: opts.taskIds !== false, noTrunc: opts.noTrunc === true, timestamps: options.timestamps };
  const api = ctx.connect();
  try {
    const stream = api.serviceLogs({ target, options }, (m) => renderLogsMessage(m, render, ctx.out, ctx.warn));
    await stream.done;
  } finally {
    api.close();
  }
}
