import { SpecError, parseDuration } from '@flotilla/api';
import { CliError } from '../errors.js';

const usage = (message: string) => new CliError(message, 2);

/**
 * docker's `--since`/`--until` values as unix milliseconds: an RFC 3339 time
 * (2026-11-25T22:00:00Z, or a date alone), a unix timestamp in seconds (1764108000 or
 * 1764108000.5), or a duration meaning that long before `nowMs` (10m, 1h30m).
 */
export function parseTimeArg(flag: string, value: string, nowMs: number): number {
  const text = value.trim();
  if (text === '') throw usage(`invalid argument "" for "${flag}" flag: a time is required`);
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
    if (Number.isNaN(ms)) throw usage(`invalid argument "${value}" for "${flag}" flag: not an RFC 3339 time`);
    return ms;
  }
  try {
    return nowMs - parseDuration(text);
  } catch (err) {
    if (err instanceof SpecError) {
      throw usage(`invalid argument "${value}" for "${flag}" flag: expected an RFC 3339 time, unix seconds or a duration like 10m`);
    }
    throw err;
  }
}
