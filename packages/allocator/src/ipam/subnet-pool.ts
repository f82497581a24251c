import { type Cidr, formatCidr, overlaps, parseCidr, sizeOf } from './ipv4.js';

/**
 * Carves fixed-size subnets for overlay networks out of the cluster's default address
 * pools (like Docker's --default-addr-pool / --default-addr-pool-mask-length), never
 * handing out a subnet that overlaps one already in use, whoever chose it.
 */
export class SubnetPool {
  private readonly pools: Cidr[];
  private readonly used: Cidr[] = [];

  constructor(pools: string[], private readonly maskLength: number) {
    if (pools.length === 0) throw new Error('at least one default address pool is required');
    this.pools = pools.map(parseCidr);
    for (const p of this.pools) {
      if (maskLength < p.prefix || maskLength > 30) {
        throw new Error(`subnet mask length ${maskLength} does not fit in pool ${formatCidr(p)} (must be ${p.prefix}..30)`);
      }
    }
  }

  /** Records a subnet already in use (restored from the store, or chosen by the user). */
  reserve(subnet: string): void {
    const c = parseCidr(subnet);
    const clash = this.used.find((u) => overlaps(u, c));
    if (clash) throw new Error(`subnet ${subnet} overlaps ${formatCidr(clash)}, which is in use`);
    this.used.push(c);
  }

  release(subnet: string): void {
    const c = parseCidr(subnet);
    const i = this.used.findIndex((u) => u.base === c.base && u.prefix === c.prefix);
    if (i >= 0) this.used.splice(i, 1);
  }

  /** Picks the lowest free subnet of the configured size. */
  allocate(): string {
    for (const pool of this.pools) {
      const step = 2 ** (32 - this.maskLength);
      for (let base = pool.base; base < pool.base + sizeOf(pool); base += step) {
        const candidate: Cidr = { base: base >>> 0, prefix: this.maskLength };
        if (!this.used.some((u) => overlaps(u, candidate))) {
          this.used.push(candidate);
          return formatCidr(candidate);
        }
      }
    }
    throw new Error(`no free /${this.maskLength} subnet left in the default address pools (${this.pools.map(formatCidr).join(', ')})`);
  }
}
