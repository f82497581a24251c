// Cutting a host off the network with iptables inside its own namespace.
//
// Rules go on the host's link to the bridge (eth0), in the raw table on the
// way in (before conntrack, so established flows die too) and the mangle
// table on the way out (POSTROUTING sees both local and forwarded packets).
// Loopback and the host's own container bridge keep working, as on a real
// machine whose cable is pulled. Docker never writes to raw/mangle here, so
// an engine starting later cannot put its accept rules in front of ours.
import { HOST_IFNAME } from './names.js';

export const CUTOFF_COMMENT = 'flt-cutoff';

/** [table, chain, ...match] for each rule of a cut-off. */
export function cutoffRules(): string[][] {
  return [
    ['raw', 'PREROUTING', '-i', HOST_IFNAME, '-m', 'comment', '--comment', CUTOFF_COMMENT, '-j', 'DROP'],
    ['mangle', 'POSTROUTING', '-o', HOST_IFNAME, '-m', 'comment', '--comment', CUTOFF_COMMENT, '-j', 'DROP'],
  ];
}

export function iptablesArgs(op: '-I' | '-D' | '-C', rule: readonly string[]): string[] {
  const [table, chain, ...spec] = rule;
  return ['iptables', '-w', '-t', table as string, op, chain as string, ...spec];
}
