// IPv4 addresses as unsigned 32-bit numbers: arithmetic on subnets is then plain integer math.

export interface Cidr {
  base: number; // network address
  prefix: number; // mask length 0..32
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`invalid IPv4 address "${text}"`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`invalid IPv4 address "${text}"`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function sizeOf(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** Parses "a.b.c.d/n"; the address must be the network address (no host bits set). */
export function parseCidr(text: string): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) throw new Error(`invalid CIDR "${text}": expected a.b.c.d/n`);
  const prefix = Number(m[2]);
  if (prefix > 32) throw new Error(`invalid CIDR "${text}": mask length must be 0..32`);
  const addr = parseIpv4(m[1]!);
  const base = (addr & maskOf(prefix)) >>> 0;
  if (base !== addr) throw new Error(`invalid CIDR "${text}": host bits are set (did you mean ${formatIpv4(base)}/${prefix}?)`);
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, addr: number): boolean {
  return ((addr & maskOf(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  const m = maskOf(prefix);
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0);
}
