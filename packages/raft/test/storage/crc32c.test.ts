import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/storage/crc32c.js';

// Reference values: the "check" value of the CRC-32C catalogue entry and the
// iSCSI test patterns from RFC 3720 appendix B.4.
describe('crc32c', () => {
  it('matches the catalogue check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
  });
  it('matches RFC 3720 B.4: 32 bytes of zeros', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });
  it('matches RFC 3720 B.4: 32 bytes of 0xff', () => {
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
  });
  it('matches RFC 3720 B.4: 32 incrementing bytes', () => {
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });
  it('matches RFC 3720 B.4: 32 decrementing bytes', () => {
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });
  it('is 0 for empty input', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
  it('chains: crc(a+b) == crc(b, crc(a)) at every split point', () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff);
    const whole = crc32c(data);
    for (let split = 0; split <= data.length; split++) {
      expect(crc32c(data, crc32c(data, 0, 0, split), split)).toBe(whole);
    }
  });
  it('changes when any single bit flips', () => {
    const data = Buffer.from('flotilla write-ahead log record');
    const good = crc32c(data);
    for (let i = 0; i < data.length; i++) {
      const copy = Buffer.from(data);
      copy[i]! ^= 0x10;
      expect(crc32c(copy)).not.toBe(good);
    }
  });
});
