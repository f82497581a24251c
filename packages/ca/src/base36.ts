const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

export function hexToBase36(hex: string, width: number): string {
  return BigInt('0x' + hex).toString(36).padStart(width, '0');
}

/** BigInt() has no radix argument, so base36 is parsed by hand. Returns undefined for any non-base36 character. */
export function base36ToBigInt(text: string): bigint | undefined {
  let value = 0n;
  for (const ch of text) {
    const digit = DIGITS.indexOf(ch);
    if (digit < 0) return undefined;
    value = value * 36n + BigInt(digit);
  }
  return value;
}
