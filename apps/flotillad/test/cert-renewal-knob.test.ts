import { describe, expect, it } from 'vitest';
import { RENEW_AFTER_ENV, renewAfterMsFrom } from '../src/swarm/cert-renewal.js';

describe('renewAfterMsFrom (the test/ops renewal knob)', () => {
  it('is off when unset or empty', () => {
    expect(renewAfterMsFrom({})).toBeUndefined();
    expect(renewAfterMsFrom({ [RENEW_AFTER_ENV]: '' })).toBeUndefined();
  });

  it('reads a positive whole number of milliseconds', () => {
    expect(renewAfterMsFrom({ [RENEW_AFTER_ENV]: '4000' })).toBe(4000);
  });

  it('refuses anything else, naming the variable and the value', () => {
    for (const bad of ['0', '-5', '1.5', '10s', 'soon']) {
      expect(() => renewAfterMsFrom({ [RENEW_AFTER_ENV]: bad })).toThrow(`${RENEW_AFTER_ENV}=${bad}: expected a positive whole number of milliseconds`);
    }
  });
});
