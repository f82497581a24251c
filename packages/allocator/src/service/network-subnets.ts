// Subnets, gateways and VXLAN ids of overlay networks. Pure apart from the tables it holds: the
// service decides when to call it and writes what it returns into Network.status.
import type { Network, NetworkPoolConfig, NetworkStatus } from '@flotilla/api';
import { AddressPool } from '../ipam/address-pool.js';
import { overlaps, parseCidr } from '../ipam/ipv4.js';
import { SubnetPool } from '../ipam/subnet-pool.js';
import { VxlanIds } from '../vxlan/vxlan-ids.js';

export const DEFAULT_POOL: NetworkPoolConfig = { defaultAddrPool: ['10.0.0.0/8'], subnetSize: 24 };

export type NetworkAllocation = { ok: true; status: NetworkStatus } | { ok: false; error: string };

/** Whether the network already has what the allocator gives (a subnet and a VXLAN id). */
export function isAllocated(n: Network): boolean {
  return Boolean(n.status?.ipam?.[0]?.subnet) && (n.status?.vxlanId ?? 0) > 0;
}

export class NetworkSubnets {
  private subnets: SubnetPool;
  private vxlans = new VxlanIds();
  /** Subnet of each allocated network, so a refusal can name the network it clashes with. */
  private readonly owners = new Map<string, { subnet: string; name: string; vxlanId: number }>();

  constructor(pool: NetworkPoolConfig = DEFAULT_POOL) {
    this.subnets = new SubnetPool(pool.defaultAddrPool, pool.subnetSize);
  }

  /** Forgets everything and takes the pool and every allocated network from the store. */
  rebuild(pool: NetworkPoolConfig, networks: Iterable<Network>): string[] {
    const problems: string[] = [];
    this.subnets = new SubnetPool(pool.defaultAddrPool.length > 0 ? pool.defaultAddrPool : DEFAULT_POOL.defaultAddrPool, pool.subnetSize || DEFAULT_POOL.subnetSize);
    this.vxlans = new VxlanIds();
    this.owners.clear();
    for (const n of networks) {
      if (!isAllocated(n)) continue;
      const subnet = n.status!.ipam[0]!.subnet;
      const vxlanId = n.status!.vxlanId;
      try {
        this.subnets.reserve(subnet);
        this.vxlans.reserve(vxlanId);
        this.owners.set(n.id, { subnet, name: n.spec?.annotations?.name ?? n.id, vxlanId });
      } catch (err) {
        problems.push(`network ${n.id} (${subnet}, VXLAN ${vxlanId}): ${(err as Error).message}`);
      }
    }
    return problems;
  }

  /**
   * A subnet (the one asked for, or the next free one of the default pools), its gateway (the
   * one asked for, or the first host address) and a VXLAN id. Nothing is taken on a refusal.
   */
  allocate(n: Network): NetworkAllocation {
    const name = n.spec?.annotations?.name ?? n.id;
    const asked = n.spec?.ipam?.[0];
    let subnet: string;
    if (asked?.subnet) {
      const clash = this.clashOf(asked.subnet, n.id);
      if (clash) return { ok: false, error: `network ${name}: subnet ${asked.subnet} overlaps subnet ${clash.subnet} of network ${clash.name}` };
      try {
        this.subnets.reserve(asked.subnet);
      } catch (err) {
        return { ok: false, error: `network ${name}: ${(err as Error).message}` };
      }
      subnet = asked.subnet;
    } else {
      try {
        subnet = this.subnets.allocate();
      } catch (err) {
        return { ok: false, error: `network ${name}: ${(err as Error).message}` };
      }
    }
    let gateway: string;
    try {
      // The pool checks the gateway is a usable host address of the subnet.
      gateway = new AddressPool(subnet, asked?.gateway || undefined).gatewayAddress;
    } catch (err) {
      this.subnets.release(subnet);
      return { ok: false, error: `network ${name}: ${(err as Error).message}` };
    }
    const vxlanId = this.vxlans.allocate();
    this.owners.set(n.id, { subnet, name, vxlanId });
    return { ok: true, status: { ipam: [{ subnet, gateway, range: '' }], vxlanId } };
  }

  /** Takes note of a network some other writer allocated (a restored or hand-written status); throws on a clash. */
  adopt(n: Network): void {
    if (!isAllocated(n) || this.owners.has(n.id)) return;
    const subnet = n.status!.ipam[0]!.subnet;
    const vxlanId = n.status!.vxlanId;
    this.subnets.reserve(subnet);
    try {
      this.vxlans.reserve(vxlanId);
    } catch (err) {
      this.subnets.release(subnet);
      throw err;
    }
    this.owners.set(n.id, { subnet, name: n.spec?.annotations?.name ?? n.id, vxlanId });
  }

  release(networkId: string): void {
    const owned = this.owners.get(networkId);
    if (!owned) return;
    this.owners.delete(networkId);
    this.subnets.release(owned.subnet);
    this.vxlans.release(owned.vxlanId);
  }

  /** The allocated network (other than `exceptId`) whose subnet overlaps `subnet`, if any. */
  clashOf(subnet: string, exceptId = ''): { subnet: string; name: string } | undefined {
    const c = parseCidr(subnet);
    for (const [id, o] of this.owners) if (id !== exceptId && overlaps(parseCidr(o.subnet), c)) return o;
    return undefined;
  }
}

/**
 * The network among `networks` (other than `exceptId`) whose subnet, allocated or asked for,
 * overlaps `subnet`: the Control API refuses such a network before it is ever stored.
 */
export function findSubnetClash(subnet: string, networks: Iterable<Network>, exceptId = ''): { subnet: string; name: string } | undefined {
  const c = parseCidr(subnet);
  for (const n of networks) {
    if (n.id === exceptId) continue;
    const theirs = n.status?.ipam?.[0]?.subnet || n.spec?.ipam?.[0]?.subnet;
    if (theirs && overlaps(parseCidr(theirs), c)) return { subnet: theirs, name: n.spec?.annotations?.name ?? n.id };
  }
  return undefined;
}
