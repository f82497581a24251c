import type { DnsTable } from '../dns/table.js';
import type { NodeLbPlan } from './types.js';

/**
 * Pure: for the DNS server of network `networkId`, the tables of the clients (by source
 * address) that are on other networks too — the names of all their networks, this one's
 * first (a service on two networks answers with the VIP of the network that was asked).
 */
export function clientTables(plan: NodeLbPlan, networkId: string): Map<string, DnsTable> {
  const byNetwork = new Map(plan.networks.map((n) => [n.networkId, n.dns]));
  const out = new Map<string, DnsTable>();
  for (const c of plan.multiNetworkClients) {
    const addr = c.addrs[networkId];
    if (!addr) continue;
    const seen = new Set<string>();
    const services: DnsTable['services'] = [];
    for (const id of [networkId, ...c.networkIds.filter((n) => n !== networkId)]) {
      for (const svc of byNetwork.get(id)?.services ?? []) {
        if (seen.has(svc.name.toLowerCase())) continue;
        seen.add(svc.name.toLowerCase());
        services.push(svc);
      }
    }
    out.set(addr, { services });
  }
  return out;
}
