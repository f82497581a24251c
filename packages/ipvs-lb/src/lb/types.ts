/** A service's virtual address: what clients connect to. */
export interface Vip {
  addr: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

/** One healthy task behind a VIP. */
export interface BackendAddr {
  addr: string;
  port: number;
}

/**
 * The one interface every back end (IPVS, iptables, userspace) implements. The agent calls
 * `ensureService` whenever the set of healthy tasks changes; the new list replaces the old
 * one as a whole (atomically where the kernel allows), so callers never add or remove
 * single backends.
 */
export interface LoadBalancer {
  readonly kind: 'ipvs' | 'iptables' | 'userspace';
  ensureService(vip: Vip, backends: readonly BackendAddr[]): Promise<void>;
  removeService(vip: Vip): Promise<void>;
  /** Removes everything this instance installed and releases its resources. */
  close(): Promise<void>;
}

export function vipKey(vip: Vip): string {
  return `${vip.protocol}:${vip.addr}:${vip.port}`;
}
