import { describe, expect, it } from 'vitest';
import { AddressPool, SubnetPool, formatCidr, parseCidr, parseIpv4, formatIpv4, overlaps } from '../src/index.js';

describe('ipv4', () => {
  it('round-trips addresses and rejects bad ones', () => {
    expect(formatIpv4(parseIpv4('198.19.3.254'))).toBe('198.19.3.254');
    expect(() => parseIpv4('198.19.3')).toThrow('invalid IPv4 address "198.19.3"');
    expect(() => parseIpv4('1.2.3.256')).toThrow('invalid IPv4 address');
  });

  it('refuses a CIDR with host bits and says which network was meant', () => {
    expect(() => parseCidr('198.19.1.5/24')).toThrow('did you mean 198.19.1.0/24?');
    expect(formatCidr(parseCidr('198.19.0.0/16'))).toBe('198.19.0.0/16');
  });

  it('detects overlap between a /16 and a /24 inside it', () => {
    expect(overlaps(parseCidr('198.19.0.0/16'), parseCidr('198.19.7.0/24'))).toBe(true);
    expect(overlaps(parseCidr('198.19.0.0/24'), parseCidr('198.19.1.0/24'))).toBe(false);
  });
});

describe('SubnetPool', () => {
  it('carves consecutive /24s out of the default pool', () => {
    const pool = new SubnetPool(['198.19.0.0/16'], 24);
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual(['198.19.0.0/24', '198.19.1.0/24', '198.19.2.0/24']);
  });

  it('skips subnets that overlap a user-chosen one and refuses overlapping reservations', () => {
    const pool = new SubnetPool(['198.19.0.0/16'], 24);
    pool.reserve('198.19.0.0/23');
    expect(pool.allocate()).toBe('198.19.2.0/24');
    expect(() => pool.reserve('198.19.1.128/25')).toThrow('overlaps 198.19.0.0/23');
  });

  it('moves on to the next pool when one is full and reuses released subnets', () => {
    const pool = new SubnetPool(['198.19.0.0/23', '198.19.8.0/24'], 24);
    expect(pool.allocate()).toBe('198.19.0.0/24');
    expect(pool.allocate()).toBe('198.19.1.0/24');
    expect(pool.allocate()).toBe('198.19.8.0/24');
    expect(() => pool.allocate()).toThrow('no free /24 subnet left');
    pool.release('198.19.1.0/24');
    expect(pool.allocate()).toBe('198.19.1.0/24');
  });

  it('rejects a mask length that does not fit the pool', () => {
    expect(() => new SubnetPool(['198.19.0.0/16'], 8)).toThrow('does not fit in pool 198.19.0.0/16');
  });
});

describe('AddressPool', () => {
  it('reserves the gateway and never hands out network or broadcast addresses', () => {
    const pool = new AddressPool('198.19.5.0/30');
    expect(pool.gatewayAddress).toBe('198.19.5.1');
    expect(pool.allocate()).toBe('198.19.5.2');
    expect(() => pool.allocate()).toThrow('no free address left in 198.19.5.0/30');
  });

  it('does not immediately reuse a released address', () => {
    const pool = new AddressPool('198.19.5.0/29');
    const a = pool.allocate();
    const b = pool.allocate();
    pool.release(a);
    expect(pool.allocate()).not.toBe(a);
    expect(b).toBe('198.19.5.3');
  });

  it('refuses a gateway outside the subnet and a taken reservation', () => {
    expect(() => new AddressPool('198.19.5.0/24', '198.19.6.1')).toThrow('not a usable address');
    const pool = new AddressPool('198.19.5.0/24');
    pool.reserve('198.19.5.10');
    expect(() => pool.reserve('198.19.5.10')).toThrow('already in use');
    expect(() => pool.reserve('198.19.5.255')).toThrow('not a usable address');
  });
});
