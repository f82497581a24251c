// Addresses on overlay networks, for task attachments and service virtual IPs: one AddressPool
// per network that has a subnet (NetworkSubnets gives it). A task on a network without a subnet
// waits in NEW.
import type { Network, NetworkAttachment, Service, Task } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import { AddressPool } from '../ipam/address-pool.js';

export class NetworkAddresses {
  private readonly pools = new Map<string, AddressPool>();

  /** Forgets everything and takes the networks, the addresses of live tasks and the services' VIPs from a view. */
  rebuild(networks: Iterable<Network>, liveTasks: Iterable<Task>, services: Iterable<Service> = []): string[] {
    const problems: string[] = [];
    this.pools.clear();
    for (const n of networks) {
      const ipam = n.status?.ipam?.[0];
      if (!ipam?.subnet) continue;
      try {
        this.pools.set(n.id, new AddressPool(ipam.subnet, ipam.gateway || undefined));
      } catch (err) {
        problems.push(`network ${n.id}: ${(err as Error).message}`);
      }
    }
    for (const t of liveTasks) {
      for (const a of t.networks) {
        for (const cidr of a.addresses) {
          try {
            this.pools.get(a.networkId)?.reserve(addressOf(cidr));
          } catch (err) {
            problems.push(`task ${t.id} on network ${a.networkId}: ${(err as Error).message}`);
          }
        }
      }
    }
    for (const s of services) {
      for (const vip of s.endpoint?.virtualIps ?? []) {
        try {
          this.pools.get(vip.networkId)?.reserve(addressOf(vip.addr));
        } catch (err) {
          problems.push(`VIP of service ${s.id} on network ${vip.networkId}: ${(err as Error).message}`);
        }
      }
    }
    return problems;
  }

  /** Starts (or restarts) the pool of a network that just got its subnet. */
  addNetwork(network: Network): void {
    this.pools.delete(network.id);
    this.poolFor(network);
  }

  removeNetwork(networkId: string): void {
    this.pools.delete(networkId);
  }

  /** One address of the network as "a.b.c.d/prefix", or undefined when it has no subnet yet. Throws when the subnet is full. */
  allocateOn(network: Network): string | undefined {
    const pool = this.pools.get(network.id) ?? this.poolFor(network);
    if (!pool) return undefined;
    return `${pool.allocate()}/${pool.subnet.prefix}`;
  }

  inUse(networkId: string): number {
    return this.pools.get(networkId)?.used ?? 0;
  }

  releaseOn(networkId: string, cidr: string): void {
    this.pools.get(networkId)?.release(addressOf(cidr));
  }

  /**
   * Attachments for a task's networks, or the reason it must wait. Addresses are taken only when
   * every network of the task can give one.
   */
  attach(
    task: Task,
    view: Pick<ReadTx, 'networks'>,
    implicit: readonly Network[] = [],
  ): { ok: true; attachments: NetworkAttachment[] } | { ok: false; reason: string } {
    // Implicit networks (ingress, for a service publishing ports through the routing mesh) come first, as in Docker.
    const specs = [
      ...implicit.filter((n) => !(task.spec?.networks ?? []).some((s) => s.target === n.id || s.target === n.spec?.annotations?.name)).map((n) => ({ target: n.id, aliases: [] as string[] })),
      ...(task.spec?.networks ?? []),
    ];
    const resolved: Array<{ network: Network; aliases: string[]; pool: AddressPool; prefix: number }> = [];
    for (const s of specs) {
      const network = view.networks.get(s.target) ?? view.networks.byName(s.target);
      if (!network) return { ok: false, reason: `network ${s.target} not found` };
      const pool = this.pools.get(network.id) ?? this.poolFor(network);
      if (!pool) return { ok: false, reason: `network ${network.id} has no subnet allocated yet` };
      resolved.push({ network, aliases: [...s.aliases], pool, prefix: pool.subnet.prefix });
    }
    const taken: Array<{ pool: AddressPool; address: string }> = [];
    try {
      const attachments = resolved.map((r) => {
        const address = r.pool.allocate();
        taken.push({ pool: r.pool, address });
        return { networkId: r.network.id, addresses: [`${address}/${r.prefix}`], aliases: r.aliases };
      });
      return { ok: true, attachments };
    } catch (err) {
      for (const t of taken) t.pool.release(t.address);
      return { ok: false, reason: (err as Error).message };
    }
  }

  release(task: Task): void {
    for (const a of task.networks) for (const cidr of a.addresses) this.pools.get(a.networkId)?.release(addressOf(cidr));
  }

  private poolFor(network: Network): AddressPool | undefined {
    const ipam = network.status?.ipam?.[0];
    if (!ipam?.subnet) return undefined;
    const pool = new AddressPool(ipam.subnet, ipam.gateway || undefined);
    this.pools.set(network.id, pool);
    return pool;
  }
}

function addressOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}
