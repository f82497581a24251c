import { describe, expect, it } from 'vitest';
import { RENEW_AFTER_ENV, renewAfterMsFrom, workerRenewalAddrs } from '../src/swarm/cert-renewal.js';

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

describe('workerRenewalAddrs', () => {
  it('tries the manager it joined through, then every manager it knows by NATS on the same CA port', () => {
    expect(workerRenewalAddrs({ joinedVia: '10.0.0.1:2377', natsServers: ['tls://10.0.0.1:4222', 'tls://10.0.0.2:4222', 'tls://10.0.0.3:4222'] })).toEqual([
      '10.0.0.1:2377',
      '10.0.0.2:2377',
      '10.0.0.3:2377',
    ]);
  });

  it('has nothing to add without a joined-through port, and nothing at all without either', () => {
    expect(workerRenewalAddrs({ joinedVia: '', natsServers: ['tls://10.0.0.2:4222'] })).toEqual([]);
    expect(workerRenewalAddrs({ natsServers: [] })).toEqual([]);
  });
});
