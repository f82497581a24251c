// Cutting a host off the network with iptables inside its own namespace.
//
// Rules go on the host's link to the bridge (eth0), in the raw table on the
// way in (before conntrack, so established flows die too) and the mangle
// table on the way out (POSTROUTING sees both local and forwarded packets).
// Loopback and the host's own container bridge keep working, as on a real
// machine whose cable is pulled. Docker never writes to raw/mangle here, so
// an engine starting later cannot put its accept rules in front of ours.
// IPv6 gets the same rules: the veth has a link-local address, and a leak
// through it would make a partition test pass or fail for the wrong reason.
import { HOST_IFNAME } from './names.js';

export const CUTOFF_COMMENT = 'flt-cutoff';

export interface CutoffRule {
  bin: 'iptables' | 'ip6tables';
  table: string;
  chain: string;
  spec: string[];
}

export function cutoffRules(): CutoffRule[] {
  const mark = ['-m', 'comment', '--comment', CUTOFF_COMMENT, '-j', 'DROP'];
  const rules: CutoffRule[] = [];
  for (const bin of ['iptables', 'ip6tables'] as const) {
    rules.push({ bin, table: 'raw', chain: 'PREROUTING', spec: ['-i', HOST_IFNAME, ...mark] });
    rules.push({ bin, table: 'mangle', chain: 'POSTROUTING', spec: ['-o', HOST_IFNAME, ...mark] });
  }
  return rules;
}

export function iptablesArgs(op: '-I' | '-D' | '-C', rule: CutoffRule): string[] {
  return [rule.bin, '-w', '-t', rule.table, op, rule.chain, ...rule.spec];
}
