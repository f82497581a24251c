import { describe, expect, it } from 'vitest';
import { StreamAdmission, strangerSourceKey, type StreamPlace } from '../../src/index.js';

const admitted = (p: StreamPlace | string): StreamPlace => {
  if (typeof p === 'string') throw new Error(`refused: ${p}`);
  return p;
};

describe('StreamAdmission (caps on inbound push/pull streams)', () => {
  it('caps the streams of one source address and of everyone, and gives places back', () => {
    const a = new StreamAdmission({ maxStreamsPerSource: 2, maxStreams: 3, maxBufferedBytes: 100 });
    const a1 = admitted(a.admit('10.0.0.1'));
    admitted(a.admit('10.0.0.1'));
    expect(a.admit('10.0.0.1')).toBe('too-many-from-source');
    const b1 = admitted(a.admit('10.0.0.2'));
    expect(a.admit('10.0.0.3')).toBe('too-many-streams');
    expect(a.openStreams).toBe(3);
    a.release(a1);
    const c1 = admitted(a.admit('10.0.0.3'));
    expect(a.admit('10.0.0.1')).toBe('too-many-streams');
    for (const p of [a1, b1, c1]) a.release(p);
    // Releasing what was never admitted changes nothing.
    a.release({ kind: 'stranger', source: '10.0.0.9' });
    expect(a.openStreams).toBe(0);
    admitted(a.admit('10.0.0.1'));
    admitted(a.admit('10.0.0.1'));
  });

  it('holds body bytes of all streams within one budget', () => {
    const a = new StreamAdmission({ maxStreamsPerSource: 2, maxStreams: 3, maxBufferedBytes: 100 });
    const s = { kind: 'stranger' } as const;
    expect(a.hold(s, 60)).toBe(true);
    expect(a.hold(s, 41)).toBe(false);
    expect(a.bufferedBytes).toBe(60);
    expect(a.hold(s, 40)).toBe(true);
    a.drop(s, 60);
    expect(a.hold(s, 60)).toBe(true);
    a.drop(s, 1000);
    expect(a.bufferedBytes).toBe(0);
  });

  it("strangers filling their caps refuse no member's stream, and members have a byte budget of their own", () => {
    const a = new StreamAdmission({ maxStreamsPerSource: 2, maxStreams: 2, maxMemberStreams: 3, maxBufferedBytes: 100 });
    admitted(a.admit('203.0.113.1'));
    admitted(a.admit('203.0.113.2'));
    expect(a.admit('203.0.113.3')).toBe('too-many-streams');
    expect(a.hold({ kind: 'stranger' }, 100)).toBe(true);
    expect(a.hold({ kind: 'stranger' }, 1)).toBe(false);
    const m = admitted(a.admit('10.0.0.5', 'member'));
    expect(m).toEqual({ kind: 'member', source: '10.0.0.5' });
    expect(a.hold(m, 100)).toBe(true);
    // Members keep a per-source cap and a total of their own.
    admitted(a.admit('10.0.0.5', 'member'));
    expect(a.admit('10.0.0.5', 'member')).toBe('too-many-from-source');
    admitted(a.admit('10.0.0.6', 'member'));
    expect(a.admit('10.0.0.7', 'member')).toBe('too-many-streams');
    expect(a.openStreams).toBe(5);
    expect(a.bufferedBytes).toBe(200);
  });

  it("counts a stranger's IPv6 addresses by their /64, a member's by the address", () => {
    const a = new StreamAdmission({ maxStreamsPerSource: 2, maxStreams: 10, maxBufferedBytes: 100 });
    admitted(a.admit('2001:db8:1:2::1'));
    admitted(a.admit('2001:db8:1:2:ffff::77'));
    expect(a.admit('2001:db8:1:2:dead:beef:0:1')).toBe('too-many-from-source');
    admitted(a.admit('2001:db8:1:3::1'));
    // Members of one cluster may share a /64: each address is its own source.
    for (const host of ['2001:db8:1:2::a', '2001:db8:1:2::a', '2001:db8:1:2::b']) admitted(a.admit(host, 'member'));
  });

  it('strangerSourceKey: IPv4 as is, IPv6 (any spelling, mapped IPv4, zones) by /64', () => {
    expect(strangerSourceKey('192.0.2.7')).toBe('192.0.2.7');
    expect(strangerSourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(strangerSourceKey('2001:DB8:0:0:1::1')).toBe('2001:db8:0:0::/64');
    expect(strangerSourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(strangerSourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(strangerSourceKey('::1')).toBe('0:0:0:0::/64');
    expect(strangerSourceKey('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/64');
    // Not an address (never from a socket): left as is, still a bounded key per connection.
    expect(strangerSourceKey('1:2:3')).toBe('1:2:3');
  });
});
