import { randomBytes } from 'node:crypto';

/** A random positive 128-bit serial (high bit cleared so DER keeps it positive). */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return bytes.toString('hex');
}
