/**
 * Which load-balancing back end a node uses. Kernel IPVS is the fastest and what Docker
 * needs; iptables NAT with the statistic match works on kernels without IPVS; the
 * userspace proxy works anywhere a process can open sockets. The choice is made once at
 * start and reported in `flotilla info`.
 */
export type BackendKind = 'ipvs' | 'iptables' | 'userspace';

export interface HostCapabilities {
  ipvs: boolean;
  iptablesNat: boolean;
  iptablesStatistic: boolean;
}

export interface BackendChoice {
  kind: BackendKind;
  reason: string;
}

export function chooseBackend(caps: HostCapabilities, forced?: BackendKind): BackendChoice {
  if (forced) {
    const ok = forced === 'userspace' || (forced === 'ipvs' ? caps.ipvs : caps.iptablesNat && caps.iptablesStatistic);
    if (!ok) throw new Error(`load-balancer back end "${forced}" is not available on this host (${describe(caps)})`);
    return { kind: forced, reason: 'chosen by configuration' };
  }
  if (caps.ipvs) return { kind: 'ipvs', reason: 'kernel IPVS is available' };
  if (caps.iptablesNat && caps.iptablesStatistic) {
    return { kind: 'iptables', reason: 'no kernel IPVS (/proc/net/ip_vs missing); iptables NAT with the statistic match works' };
  }
  return { kind: 'userspace', reason: `neither IPVS nor iptables NAT is usable (${describe(caps)}); proxying in userspace` };
}

function describe(c: HostCapabilities): string {
  return `ipvs=${c.ipvs} iptables-nat=${c.iptablesNat} statistic=${c.iptablesStatistic}`;
}
