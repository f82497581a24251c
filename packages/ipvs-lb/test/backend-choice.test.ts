import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseBackend, probeHost } from '../src/index.js';

describe('chooseBackend', () => {
  it('prefers IPVS, then iptables, then userspace', () => {
    expect(chooseBackend({ ipvs: true, iptablesNat: true, iptablesStatistic: true }).kind).toBe('ipvs');
    expect(chooseBackend({ ipvs: false, iptablesNat: true, iptablesStatistic: true }).kind).toBe('iptables');
    expect(chooseBackend({ ipvs: false, iptablesNat: true, iptablesStatistic: false }).kind).toBe('userspace');
  });

  it('refuses a forced back end the host cannot run, saying why', () => {
    expect(() => chooseBackend({ ipvs: false, iptablesNat: true, iptablesStatistic: true }, 'ipvs')).toThrow(
      'load-balancer back end "ipvs" is not available on this host (ipvs=false',
    );
    expect(chooseBackend({ ipvs: false, iptablesNat: false, iptablesStatistic: false }, 'userspace').kind).toBe('userspace');
  });
});

describe('probeHost on this machine', () => {
  it('reports IPVS exactly when the kernel exposes /proc/net/ip_vs', async () => {
    const caps = await probeHost();
    expect(caps.ipvs).toBe(existsSync('/proc/net/ip_vs'));
    // iptables is installed by the setup script; as root the nat table is readable.
    expect(caps.iptablesNat).toBe(true);
    const choice = chooseBackend(caps);
    expect(choice.kind).toBe(caps.ipvs ? 'ipvs' : caps.iptablesStatistic ? 'iptables' : 'userspace');
  });
});
