import { isIpv4 } from '../lb/validate.js';

/** One running task of a service, as the agent sees it. */
export interface DnsTask {
  slot: number;
  taskId: string;
  addr: string;
}

/** A service as the embedded DNS serves it; the agent rebuilds the table when tasks change. */
export interface DnsService {
  name: string;
  /** `vip`: the name answers the VIP; `dnsrr`: the name answers every task's address. */
  endpointMode: 'vip' | 'dnsrr';
  vip?: string;
  tasks: DnsTask[];
  /** Other names of the service (network aliases, a stack service's short name), answered like its name. */
  aliases?: string[];
}

export interface DnsTable {
  services: DnsService[];
}

/** Names indexed for lookup; built once per table. */
export interface DnsIndex {
  records: Map<string, string[]>;
  services: Set<string>;
}

export type Lookup = { kind: 'records'; addrs: string[] } | { kind: 'nxdomain' } | { kind: 'forward' };

/** Pure: the table as lookup records. Throws a clear error for a table that cannot be served. */
export function buildIndex(table: DnsTable): DnsIndex {
  const records = new Map<string, string[]>();
  const services = new Set<string>();
  for (const svc of table.services) {
    const name = svc.name.toLowerCase();
    if (!/^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/.test(name)) throw new Error(`DNS table: service name "${svc.name}" is not a single DNS label`);
    if (services.has(name)) throw new Error(`DNS table: service "${svc.name}" is listed twice`);
    services.add(name);
    for (const t of svc.tasks) {
      if (!isIpv4(t.addr)) throw new Error(`DNS table: task ${t.taskId} of "${svc.name}" has address "${t.addr}", not IPv4`);
    }
    const taskAddrs = svc.tasks.map((t) => t.addr);
    if (svc.endpointMode === 'vip') {
      if (!svc.vip || !isIpv4(svc.vip)) throw new Error(`DNS table: service "${svc.name}" in vip mode needs an IPv4 VIP, got "${String(svc.vip)}"`);
      records.set(name, [svc.vip]);
    } else {
      records.set(name, taskAddrs);
    }
    records.set(`tasks.${name}`, taskAddrs);
    for (const t of svc.tasks) records.set(`${name}.${t.slot}.${t.taskId.toLowerCase()}`, [t.addr]);
  }
  // Aliases after every name: a service's own name always wins, then the first service listing
  // the alias; an alias that is not a single DNS label is not served (it cannot be asked for).
  for (const svc of table.services) {
    const name = svc.name.toLowerCase();
    for (const raw of svc.aliases ?? []) {
      const alias = raw.toLowerCase();
      if (alias === name || services.has(alias) || records.has(alias) || !/^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/.test(alias)) continue;
      records.set(alias, records.get(name)!);
      records.set(`tasks.${alias}`, records.get(`tasks.${name}`)!);
    }
  }
  return { records, services };
}

/**
 * Pure: what to do with a name. Ours are single-label names (service names), `tasks.<x>`
 * and `<service>.<slot>.<taskId>` of a known service; an unknown name of those shapes is
 * NXDOMAIN (a container asking for a service that does not exist should learn so at once),
 * anything else goes to the upstream resolver.
 */
export function lookup(index: DnsIndex, qname: string): Lookup {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const found = index.records.get(name);
  if (found) return { kind: 'records', addrs: found };
  const labels = name.split('.');
  const ours = labels.length === 1 || (labels.length === 2 && labels[0] === 'tasks') || (labels.length === 3 && index.services.has(labels[0]!));
  return ours && name !== '' ? { kind: 'nxdomain' } : { kind: 'forward' };
}
