import { type Cidr, contains, formatIpv4, parseCidr, parseIpv4, sizeOf } from './ipv4.js';

/**
 * Addresses inside one network's subnet. The network and broadcast addresses are never
 * handed out, and the gateway is reserved up front. Allocation continues after the last
 * address given out (like Docker's IPAM) so a just-released address is not reused at once,
 * which would let stale DNS answers or conntrack entries reach the wrong task.
 */
export class AddressPool {
  readonly subnet: Cidr;
  readonly gateway: number;
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(subnet: string, gateway?: string) {
    this.subnet = parseCidr(subnet);
    if (this.subnet.prefix > 30) throw new Error(`subnet ${subnet} is too small: at most /30`);
    this.gateway = gateway ? parseIpv4(gateway) : this.subnet.base + 1;
    if (!this.isUsable(this.gateway)) throw new Error(`gateway ${gateway} is not a usable address of ${subnet}`);
    this.inUse.add(this.gateway);
    this.cursor = this.gateway;
  }

  get gatewayAddress(): string {
    return formatIpv4(this.gateway);
  }

  private isUsable(addr: number): boolean {
    const last = this.subnet.base + sizeOf(this.subnet) - 1;
    return contains(this.subnet, addr) && addr !== this.subnet.base && addr !== last;
  }

  /** Marks a specific address as taken (restored from the store or asked for by the user). */
  reserve(address: string): void {
    const a = parseIpv4(address);
    if (!this.isUsable(a)) throw new Error(`address ${address} is not a usable address of the subnet`);
    if (this.inUse.has(a)) throw new Error(`address ${address} is already in use`);
    this.inUse.add(a);
  }

  allocate(): string {
    const first = this.subnet.base + 1;
    const count = sizeOf(this.subnet) - 2;
    for (let i = 1; i <= count; i++) {
      const candidate = first + ((this.cursor - first + i) % count);
      if (!this.inUse.has(candidate)) {
        this.inUse.add(candidate);
        this.cursor = candidate;
        return formatIpv4(candidate);
      }
    }
    throw new Error(`no free address left in ${formatIpv4(this.subnet.base)}/${this.subnet.prefix}`);
  }

  release(address: string): void {
    const a = parseIpv4(address);
    if (a !== this.gateway) this.inUse.delete(a);
  }

  get used(): number {
    return this.inUse.size;
  }
}
