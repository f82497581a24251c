import { describe, expect, it } from 'vitest';
import { StreamAdmission } from '../../src/index.js';

describe('StreamAdmission (caps on inbound push/pull streams)', () => {
  it('caps the streams of one source address and of everyone, and gives places back', () => {
    const a = new StreamAdmission({ maxStreamsPerSource: 2, maxStreams: 3, maxBufferedBytes: 100 });
    expect(a.admit('10.0.0.1')).toBeUndefined();
    expect(a.admit('10.0.0.1')).toBeUndefined();
    expect(a.admit('10.0.0.1')).toBe('too-many-from-source');
    expect(a.admit('10.0.0.2')).toBeUndefined();
    expect(a.admit('10.0.0.3')).toBe('too-many-streams');
    expect(a.openStreams).toBe(3);
    a.release('10.0.0.1');
    expect(a.admit('10.0.0.3')).toBeUndefined();
    expect(a.admit('10.0.0.1')).toBe('too-many-streams');
    for (const s of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) a.release(s);
    // Releasing what was never admitted changes nothing.
    a.release('10.0.0.9');
    expect(a.openStreams).toBe(0);
    expect(a.admit('10.0.0.1')).toBeUndefined();
    expect(a.admit('10.0.0.1')).toBeUndefined();
  });

  it('holds body bytes of all streams within one budget', () => {
    const a = new StreamAdmission({ maxStreamsPerSource: 2, maxStreams: 3, maxBufferedBytes: 100 });
    expect(a.hold(60)).toBe(true);
    expect(a.hold(41)).toBe(false);
    expect(a.bufferedBytes).toBe(60);
    expect(a.hold(40)).toBe(true);
    a.drop(60);
    expect(a.hold(60)).toBe(true);
    a.drop(1000);
    expect(a.bufferedBytes).toBe(0);
  });
});
