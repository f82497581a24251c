import { HealthConfig } from '@flotilla/api';
import { describe, expect, it } from 'vitest';
import { healthcheckOf, parseHealthEvent } from '../src/index.js';

const hc = (p: Partial<HealthConfig>): HealthConfig => HealthConfig.fromPartial(p);

describe('health check in the container config', () => {
  it('maps a test and its timings (ms) to Docker (ns)', () => {
    expect(healthcheckOf(hc({ test: ['CMD-SHELL', 'true'], intervalMs: 1000, timeoutMs: 500, retries: 2, startPeriodMs: 3000 }))).toEqual({
      Test: ['CMD-SHELL', 'true'],
      Interval: 1_000_000_000,
      Timeout: 500_000_000,
      Retries: 2,
      StartPeriod: 3_000_000_000,
    });
  });

  it('disables the image check with ["NONE"], ignoring timings', () => {
    expect(healthcheckOf(hc({ test: ['NONE'], intervalMs: 1000 }))).toEqual({ Test: ['NONE'] });
  });

  it("inherits the image's check when there is no config or an empty one, and only its test when timings are given", () => {
    expect(healthcheckOf(undefined)).toBeUndefined();
    expect(healthcheckOf(hc({}))).toBeUndefined();
    const timingsOnly = healthcheckOf(hc({ retries: 5 }));
    expect(timingsOnly).toMatchObject({ Retries: 5 });
    expect(timingsOnly).not.toHaveProperty('Test');
  });
});

describe('health events from the engine', () => {
  it('reads the container id and status of a health_status event', () => {
    expect(parseHealthEvent({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'abc', Attributes: {} }, id: 'abc' })).toEqual({ containerId: 'abc', health: 'healthy' });
    expect(parseHealthEvent({ Action: 'health_status: unhealthy', id: 'def' })).toEqual({ containerId: 'def', health: 'unhealthy' });
  });

  it('ignores other events and malformed ones', () => {
    expect(parseHealthEvent({ Action: 'die', Actor: { ID: 'abc' } })).toBeUndefined();
    expect(parseHealthEvent({ Action: 'health_status: bogus', Actor: { ID: 'abc' } })).toBeUndefined();
    expect(parseHealthEvent({ Action: 'health_status: healthy' })).toBeUndefined();
    expect(parseHealthEvent(null)).toBeUndefined();
  });
});
