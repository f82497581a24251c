import { describe, expect, it } from 'vitest';
import { cidrContains, cidrsOverlap, formatCidr, formatIp, networkOf, parseCidr, parseImageReference, parseIp } from '../src/index.js';

describe('parseImageReference', () => {
  const hex = 'c'.repeat(64);
  it.each([
    ['frontend:latest', { path: 'frontend', tag: 'latest', isId: false }],
    ['frontend', { path: 'frontend', isId: false }],
    ['registry:5000/a/b:tag', { domain: 'registry:5000', path: 'a/b', tag: 'tag', isId: false }],
    ['prom/prometheus', { path: 'prom/prometheus', isId: false }],
    ['docker.io/library/busybox:1.36', { domain: 'docker.io', path: 'library/busybox', tag: '1.36', isId: false }],
    ['localhost/app:v1', { domain: 'localhost', path: 'app', tag: 'v1', isId: false }],
    ['localhost:5000/app', { domain: 'localhost:5000', path: 'app', isId: false }],
    [`busybox@sha256:${hex}`, { path: 'busybox', digest: `sha256:${hex}`, isId: false }],
    [`a/b:t@sha256:${hex}`, { path: 'a/b', tag: 't', digest: `sha256:${hex}`, isId: false }],
    [`sha256:${hex}`, { path: '', digest: `sha256:${hex}`, isId: true }],
    ['my_app-2__y/z.v', { path: 'my_app-2__y/z.v', isId: false }],
    // Docker reads upper-case hex as repository "sha256" with a (valid) 64-char tag, not as an id.
    [`sha256:${'C'.repeat(64)}`, { path: 'sha256', tag: 'C'.repeat(64), isId: false }],
    ['a---b', { path: 'a---b', isId: false }],
    ['Registry.Example.com/app', { domain: 'Registry.Example.com', path: 'app', isId: false }],
  ])('%s', (ref, want) => {
    expect(parseImageReference(ref)).toEqual(want);
  });

  it.each([
    ['', 'must not be empty'],
    [':tag', 'repository name is empty'],
    ['a_', 'path component "a_" is invalid'],
    ['a..b', 'path component "a..b" is invalid'],
    ['a___b', 'path component "a___b" is invalid'],
    ['UPPER', 'repository name must be lowercase'],
    ['a/B', 'repository name must be lowercase'],
    [`a:${'t'.repeat(129)}`, 'is invalid'],
    ['a@md5', 'digest "md5" is invalid'],
    // A dot makes the first part a registry, and "_" is not allowed in a host name.
    ['my_app.x/z', 'registry "my_app.x" is invalid'],
    ['a/'.repeat(130) + 'a', 'longer than 255'],
  ])('rejects %j', (ref, why) => {
    expect(() => parseImageReference(ref)).toThrow(why);
  });
});

describe('CIDR helpers', () => {
  it('parses and formats IPv4 and IPv6', () => {
    expect(formatCidr(parseCidr('10.0.9.0/24')!)).toBe('10.0.9.0/24');
    expect(formatCidr(parseCidr('fd00:0:0:1::/64')!)).toBe('fd00:0:0:1::/64');
    expect(formatIp(parseIp('::ffff:1.2.3.4')!)).toBe('::ffff:102:304');
    expect(formatIp(parseIp('2001:db8::1')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('::')!)).toBe('::');
    expect(formatIp(parseIp('1:2:3:4:5:6:7:8')!)).toBe('1:2:3:4:5:6:7:8');
    expect(parseIp('1.2.3')).toBeUndefined();
    expect(parseCidr('1.2.3.4/x')).toBeUndefined();
    expect(parseCidr('::/129')).toBeUndefined();
  });
  it('computes network addresses and containment', () => {
    const c = parseCidr('192.168.1.77/20')!;
    expect(formatIp(networkOf(c))).toBe('192.168.0.0');
    expect(cidrContains(c, parseIp('192.168.15.255')!)).toBe(true);
    expect(cidrContains(c, parseIp('192.168.16.0')!)).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/8')!, parseCidr('10.200.0.0/16')!)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/16')!, parseCidr('10.1.0.0/16')!)).toBe(false);
    expect(cidrsOverlap(parseCidr('10.0.0.0/8')!, parseCidr('::/0')!)).toBe(false);
  });
});
