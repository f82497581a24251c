import type { ClusterEvent, EventsMessage } from '@flotilla/api';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseTimeArg } from './time-arg.js';

export interface EventsOptions {
  filter: string[];
  since?: string;
  until?: string;
  format?: string;
}

const usage = (message: string) => new CliError(message, 2);

/** `--filter type=X` and `--filter event=Y` (repeatable; values of one key are alternatives). */
export function parseEventFilters(filters: readonly string[]): { types: string[]; actions: string[] } {
  const types: string[] = [];
  const actions: string[] = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? '' : f.slice(eq + 1);
    if (value === '') throw usage(`invalid argument "${f}" for "--filter" flag: expected key=value`);
    if (key === 'type') types.push(value);
    else if (key === 'event') actions.push(value);
    else throw usage(`invalid argument "${f}" for "--filter" flag: unknown filter "${key}" (use type= or event=)`);
  }
  return { types, actions };
}

/** RFC 3339 with nanoseconds, as docker prints event times. */
export function eventTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-25T22:00:00.123Z
  return `${iso.slice(0, -1)}000000Z`;
}

/** `2026-11-25T22:00:00.000000000Z service update abc123 (name=web, updatestate.new=updating)` */
export function formatEvent(e: ClusterEvent): string {
  const attrs = Object.entries(e.attributes)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`);
  return `${eventTime(e.timeUnixMs)} ${e.type} ${e.action} ${e.id}${attrs.length ? ` (${attrs.join(', ')})` : ''}\n`;
}

/** docker's `--format '{{json .}}'` shape. */
export function eventJson(e: ClusterEvent): string {
  return `${JSON.stringify({
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: 'swarm',
    time: Math.floor(e.timeUnixMs / 1000),
    timeNano: e.timeUnixMs * 1_000_000,
  })}\n`;
}

export function renderEventsMessage(m: EventsMessage, json: boolean, out: (t: string) => void, warn: (t: string) => void): void {
  if (m.notice) warn(`flotilla: ${m.notice}\n`);
  if (m.event) out(json ? eventJson(m.event) : formatEvent(m.event));
}

export async function eventsCommand(ctx: CommandContext, opts: EventsOptions, nowMs = Date.now()): Promise<void> {
  const { types, actions } = parseEventFilters(opts.filter);
  if (opts.format !== undefined && opts.format !== 'json' && opts.format !== '{{json .}}') {
    throw usage(`invalid argument "${opts.format}" for "--format" flag: only "json" is supported`);
  }
  const json = opts.format !== undefined;
  const req = {
    types,
    actions,
    sinceUnixMs: opts.since === undefined ? 0 : parseTimeArg('--since', opts.since, nowMs),
    untilUnixMs: opts.until === undefined ? 0 : parseTimeArg('--until', opts.until, nowMs),
  };
  const api = ctx.connect();
  try {
    await api.events(req, (m) => renderEventsMessage(m, json, ctx.out, ctx.warn)).done;
  } finally {
    api.close();
  }
}
