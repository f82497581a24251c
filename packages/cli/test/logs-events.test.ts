import { LogSource } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { eventJson, eventTime, formatEvent, parseEventFilters } from '../src/commands/events.js';
import { formatLogLine, logPrefix, parseTail, renderLogsMessage } from '../src/commands/service-logs.js';
import { parseTimeArg } from '../src/commands/time-arg.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof CliError ? `${err.exitCode} ${err.message}` : String(err);
  }
  return 'accepted';
}

const now = Date.parse('2026-11-25T22:00:00Z');
const task = { serviceName: 'web', slot: 2, taskId: 'abcdefghijklmnopqrstuvwxy', nodeId: 'nodeid0123456789abcdefghi', nodeHostname: 'worker1' };

describe('--since/--until times', () => {
  it.each([
    ['2026-11-25T21:00:00Z', now - 3_600_000],
    ['2026-11-25T23:00:00+01:00', now],
    ['2026-11-25', now - 22 * 3_600_000],
    ['1795644000', now],
    ['1795644000.5', now + 500],
    ['10m', now - 600_000],
    ['1h30m', now - 5_400_000],
  ])('%s', (value, expected) => expect(parseTimeArg('--since', value, now)).toBe(expected));

  it('refuses what is no time, as a usage error naming the flag', () => {
    expect(usageError(() => parseTimeArg('--until', 'yesterday', now))).toBe(
      '2 invalid argument "yesterday" for "--until" flag: expected an RFC 3339 time, unix seconds or a duration like 10m',
    );
    expect(usageError(() => parseTimeArg('--since', '2026-13-45', now))).toMatch(/^2 .*not an RFC 3339 time/);
  });
});

describe('service logs output', () => {
  it('prefixes like docker: service.slot.task12@node, without task ids on request, full ids with --no-trunc', () => {
    expect(logPrefix(task, { taskIds: true, noTrunc: false })).toBe('web.2.abcdefghijkl@worker1    | ');
    expect(logPrefix(task, { taskIds: false, noTrunc: false })).toBe('web.2@worker1    | ');
    expect(logPrefix(task, { taskIds: true, noTrunc: true })).toBe(`web.2.${task.taskId}@worker1    | `);
    expect(logPrefix({ ...task, slot: 0 }, { taskIds: true, noTrunc: false })).toBe('web.nodeid012345.abcdefghijkl@worker1    | ');
  });

  it('puts the timestamp first when asked and sends stderr lines and notices to stderr', () => {
    const line = { source: LogSource.LOG_SOURCE_STDOUT, timestamp: '2026-11-25T22:00:00.000000001Z', text: 'hi' };
    expect(formatLogLine('p | ', line, true)).toBe('2026-11-25T22:00:00.000000001Z p | hi\n');
    expect(formatLogLine('p | ', line, false)).toBe('p | hi\n');
    const out: string[] = [];
    const err: string[] = [];
    renderLogsMessage(
      { task, lines: [line, { ...line, source: LogSource.LOG_SOURCE_STDERR, text: 'bad' }], notice: '' },
      { taskIds: false, noTrunc: false, timestamps: false },
      (t) => out.push(t),
      (t) => err.push(t),
    );
    renderLogsMessage({ task, lines: [], notice: 'node worker1 is down' }, { taskIds: false, noTrunc: false, timestamps: false }, (t) => out.push(t), (t) => err.push(t));
    expect(out).toEqual(['web.2@worker1    | hi\n']);
    expect(err).toEqual(['web.2@worker1    | bad\n', 'web.2@worker1    | flotilla: node worker1 is down\n']);
  });

  it('--tail takes a number of lines or "all"', () => {
    expect(parseTail(undefined)).toBe(-1);
    expect(parseTail('all')).toBe(-1);
    expect(parseTail('5')).toBe(5);
    expect(usageError(() => parseTail('-3'))).toBe('2 invalid argument "-3" for "--tail" flag: expected a number of lines or "all"');
  });
});

describe('events output', () => {
  const event = { type: 'service', action: 'update', id: 'abc123', attributes: { name: 'web', 'updatestate.new': 'updating' }, timeUnixMs: now + 5, index: 42 };

  it('prints docker\'s line with nanosecond time and sorted attributes', () => {
    expect(eventTime(now + 5)).toBe('2026-11-25T22:00:00.005000000Z');
    expect(formatEvent(event)).toBe('2026-11-25T22:00:00.005000000Z service update abc123 (name=web, updatestate.new=updating)\n');
    expect(formatEvent({ ...event, attributes: {} })).toBe('2026-11-25T22:00:00.005000000Z service update abc123\n');
  });

  it('prints docker\'s JSON shape', () => {
    expect(JSON.parse(eventJson(event))).toEqual({
      Type: 'service', Action: 'update', Actor: { ID: 'abc123', Attributes: { name: 'web', 'updatestate.new': 'updating' } },
      scope: 'swarm', time: now / 1000, timeNano: (now + 5) * 1_000_000,
    });
  });

  it('takes type= and event= filters and refuses others', () => {
    expect(parseEventFilters(['type=service', 'type=node', 'event=create'])).toEqual({ types: ['service', 'node'], actions: ['create'] });
    expect(usageError(() => parseEventFilters(['container=x']))).toBe('2 invalid argument "container=x" for "--filter" flag: unknown filter "container" (use type= or event=)');
    expect(usageError(() => parseEventFilters(['type']))).toBe('2 invalid argument "type" for "--filter" flag: expected key=value');
  });
});
