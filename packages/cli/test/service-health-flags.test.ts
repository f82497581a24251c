import { validateServiceSpec } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { serviceSpecFromFlags, type ServiceCreateOptions } from '../src/commands/service-flags.js';
import { healthFromFlags, updatedHealth } from '../src/commands/service-health-flags.js';
import { applyUpdateFlags, type ServiceUpdateOptions } from '../src/commands/service-update-flags.js';

const noFlags: ServiceCreateOptions = { constraint: [], env: [], label: [], containerLabel: [], mount: [] };

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof CliError ? `${err.exitCode} ${err.message}` : String(err);
  }
  return 'accepted';
}

describe('service create --health-* flags', () => {
  it('runs --health-cmd through the shell with the given timings, and the api accepts it', () => {
    const spec = validateServiceSpec(
      serviceSpecFromFlags(
        { ...noFlags, name: 'web', healthCmd: 'wget -q -O- localhost', healthInterval: '1s', healthTimeout: '500ms', healthRetries: '2', healthStartPeriod: '3s' },
        'img',
        [],
      ),
    );
    expect(spec.task?.container?.healthcheck).toEqual({
      test: ['CMD-SHELL', 'wget -q -O- localhost'],
      intervalMs: 1000,
      timeoutMs: 500,
      retries: 2,
      startPeriodMs: 3000,
      startIntervalMs: 0,
    });
  });

  it('--no-healthcheck disables every check, the image\'s included', () => {
    expect(healthFromFlags({ healthcheck: false })?.test).toEqual(['NONE']);
    const spec = validateServiceSpec(serviceSpecFromFlags({ ...noFlags, name: 'w', healthcheck: false }, 'img', []));
    expect(spec.task?.container?.healthcheck?.test).toEqual(['NONE']);
  });

  it('timings alone keep the image\'s test (empty test) and no flag means no health config', () => {
    expect(healthFromFlags({ healthInterval: '5s' })).toEqual({ test: [], intervalMs: 5000, timeoutMs: 0, retries: 0, startPeriodMs: 0, startIntervalMs: 0 });
    expect(healthFromFlags({})).toBeUndefined();
    expect(healthFromFlags({ healthcheck: true })).toBeUndefined();
    expect(serviceSpecFromFlags({ ...noFlags, name: 'w' }, 'img', []).task?.container?.healthcheck).toBeUndefined();
  });

  it('refuses bad values with one clear line (exit 2) and conflicting flags', () => {
    expect(usageError(() => healthFromFlags({ healthInterval: '5' }))).toMatch(/^2 invalid argument "5" for "--health-interval" flag: /);
    expect(usageError(() => healthFromFlags({ healthRetries: 'two' }))).toBe('2 invalid argument "two" for "--health-retries" flag: expected a whole number');
    expect(usageError(() => healthFromFlags({ healthCmd: '  ' }))).toBe('2 invalid argument "" for "--health-cmd" flag: the command is empty');
    expect(usageError(() => healthFromFlags({ healthcheck: false, healthCmd: 'true' }))).toBe('2 --no-healthcheck conflicts with --health-* options');
  });
});

describe('service update --health-* flags', () => {
  const noUpdate: ServiceUpdateOptions = { envAdd: [], envRm: [], constraintAdd: [], constraintRm: [], labelAdd: [], labelRm: [] };
  const checked = validateServiceSpec(
    serviceSpecFromFlags({ ...noFlags, name: 'web', healthCmd: 'true', healthInterval: '2s', healthRetries: '3' }, 'img', []),
  );

  it('keeps a start interval no flag sets (one a stack file gave) across an update', () => {
    const withInterval = { ...checked, task: { ...checked.task!, container: { ...checked.task!.container!, healthcheck: { ...checked.task!.container!.healthcheck!, startIntervalMs: 1000 } } } };
    expect(applyUpdateFlags(withInterval, { ...noUpdate, healthRetries: '5' }).task?.container?.healthcheck?.startIntervalMs).toBe(1000);
  });

  it('changes only the named fields of the current check', () => {
    const spec = validateServiceSpec(applyUpdateFlags(checked, { ...noUpdate, healthRetries: '5' }));
    expect(spec.task?.container?.healthcheck).toEqual({ test: ['CMD-SHELL', 'true'], intervalMs: 2000, timeoutMs: 0, retries: 5, startPeriodMs: 0, startIntervalMs: 0 });
    const cmd = applyUpdateFlags(checked, { ...noUpdate, healthCmd: 'false' }).task?.container?.healthcheck;
    expect(cmd).toEqual({ test: ['CMD-SHELL', 'false'], intervalMs: 2000, timeoutMs: 0, retries: 3, startPeriodMs: 0, startIntervalMs: 0 });
  });

  it('--no-healthcheck disables it, and a later timing starts from the image\'s check', () => {
    const off = validateServiceSpec(applyUpdateFlags(checked, { ...noUpdate, healthcheck: false }));
    expect(off.task?.container?.healthcheck?.test).toEqual(['NONE']);
    expect(updatedHealth(off.task?.container?.healthcheck, { healthInterval: '1s' })).toEqual({ test: [], intervalMs: 1000, timeoutMs: 0, retries: 0, startPeriodMs: 0, startIntervalMs: 0 });
  });

  it('leaves the check alone without health flags and refuses bad values without changing anything', () => {
    expect(applyUpdateFlags(checked, { ...noUpdate, healthcheck: true }).task?.container?.healthcheck).toEqual(checked.task?.container?.healthcheck);
    expect(usageError(() => applyUpdateFlags(checked, { ...noUpdate, healthTimeout: 'soon' }))).toMatch(/^2 invalid argument "soon" for "--health-timeout" flag/);
    expect(checked.task?.container?.healthcheck?.retries).toBe(3);
  });
});
