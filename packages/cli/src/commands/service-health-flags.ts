import { SpecError, parseDuration, type HealthConfig } from '@flotilla/api';
import { CliError } from '../errors.js';

/** The `--health-*` / `--no-healthcheck` flags of `service create`, as commander hands them over. */
export interface HealthFlags {
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  /** commander's negatable `--no-healthcheck`: false when given. */
  healthcheck?: boolean;
}

const usage = (message: string) => new CliError(message, 2);

function durationMs(flag: string, value: string | undefined): number {
  if (value === undefined) return 0;
  try {
    return parseDuration(value);
  } catch (err) {
    if (err instanceof SpecError) throw usage(`invalid argument "${value}" for "${flag}" flag: ${err.message}`);
    throw err;
  }
}

/**
 * Docker's rules: `--health-cmd` runs through the shell (CMD-SHELL); `--no-healthcheck`
 * disables any check, the image's included, and cannot be combined with the other flags;
 * timings alone keep the image's HEALTHCHECK test and override its timings; a zero timing
 * means "the engine's default". Undefined when no health flag was given.
 */
export function healthFromFlags(f: HealthFlags): HealthConfig | undefined {
  const timingGiven = [f.healthInterval, f.healthTimeout, f.healthRetries, f.healthStartPeriod].some((v) => v !== undefined);
  if (f.healthcheck === false) {
    if (f.healthCmd !== undefined || timingGiven) throw usage('--no-healthcheck conflicts with --health-* options');
    return { test: ['NONE'], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0, startIntervalMs: 0 };
  }
  if (f.healthCmd === undefined && !timingGiven) return undefined;
  let retries = 0;
  if (f.healthRetries !== undefined) {
    if (!/^\d+$/.test(f.healthRetries)) throw usage(`invalid argument "${f.healthRetries}" for "--health-retries" flag: expected a whole number`);
    retries = Number(f.healthRetries);
  }
  if (f.healthCmd !== undefined && f.healthCmd.trim() === '') throw usage('invalid argument "" for "--health-cmd" flag: the command is empty');
  return {
    test: f.healthCmd === undefined ? [] : ['CMD-SHELL', f.healthCmd],
    intervalMs: durationMs('--health-interval', f.healthInterval),
    timeoutMs: durationMs('--health-timeout', f.healthTimeout),
    retries,
    startPeriodMs: durationMs('--health-start-period', f.healthStartPeriod),
    startIntervalMs: 0,
  };
}

/**
 * `service update`'s health flags over the current check, as docker merges them: only what a
 * flag names changes; `--no-healthcheck` disables the check; a timing or command given over a
 * disabled check starts from an empty (image's) check. Undefined when no health flag was given,
 * so the caller keeps the current config untouched.
 */
export function updatedHealth(current: HealthConfig | undefined, f: HealthFlags): HealthConfig | undefined {
  const given = healthFromFlags(f);
  if (given === undefined) return undefined;
  if (f.healthcheck === false) return given;
  const base: HealthConfig =
    current === undefined || current.test[0] === 'NONE'
      ? { test: [], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0, startIntervalMs: 0 }
      : { ...current, test: [...current.test] };
  return {
    test: f.healthCmd === undefined ? base.test : given.test,
    intervalMs: f.healthInterval === undefined ? base.intervalMs : given.intervalMs,
    timeoutMs: f.healthTimeout === undefined ? base.timeoutMs : given.timeoutMs,
    retries: f.healthRetries === undefined ? base.retries : given.retries,
    startPeriodMs: f.healthStartPeriod === undefined ? base.startPeriodMs : given.startPeriodMs,
    // no flag sets it yet: an update keeps what the service has
    startIntervalMs: base.startIntervalMs,
  };
}
