import { describe, expect, it } from 'vitest';
import { decide, LB_BACKEND_ENV } from '../src/node-lb/backend-choice.js';

const noIpvs = { ipvs: false, iptablesNat: true, iptablesStatistic: true };

describe('load-balancer back end chosen at daemon start', () => {
  it('takes iptables without IPVS, with the mesh on iptables', () => {
    expect(decide(noIpvs, undefined)).toMatchObject({ kind: 'iptables', meshWithIptables: true });
    expect(decide({ ...noIpvs, ipvs: true }, '')).toMatchObject({ kind: 'ipvs', meshWithIptables: true });
  });

  it('falls back to userspace without iptables NAT, and then has no mesh', () => {
    expect(decide({ ipvs: false, iptablesNat: false, iptablesStatistic: false }, undefined)).toMatchObject({ kind: 'userspace', meshWithIptables: false });
  });

  it(`honours ${LB_BACKEND_ENV} and refuses an unknown or unavailable back end`, () => {
    expect(decide(noIpvs, 'userspace')).toMatchObject({ kind: 'userspace', reason: 'chosen by configuration' });
    expect(() => decide(noIpvs, 'ipvs')).toThrow(/not available on this host/);
    expect(() => decide(noIpvs, 'nginx')).toThrow(/FLOTILLA_LB_BACKEND="nginx": not a load-balancer back end/);
  });
});
