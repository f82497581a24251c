// The commands that build a run's network: one bridge in the root namespace,
// and per host a namespace joined to it by a veth pair. Kept as data so the
// plan can be read and tested without root.
import { bridgeAddr, HOST_IFNAME, SUBNET_PREFIX_LEN, type HostNames, type RunNames } from './names.js';

/**
 * The run's rules in the root namespace's FORWARD chain, marked with the run
 * tag. The root namespace's FORWARD policy is DROP once Docker runs, and with
 * br_netfilter loaded frames crossing a bridge traverse it, so hosts could not
 * reach each other without the first rule. The other two keep a run's traffic
 * on its bridge whatever the machine's policy: no route out to the real
 * network, none into another run.
 */
export function forwardRules(run: RunNames): string[][] {
  const mark = ['-m', 'comment', '--comment', run.tag];
  return [
    ['FORWARD', '-i', run.bridge, '-o', run.bridge, ...mark, '-j', 'ACCEPT'],
    ['FORWARD', '-i', run.bridge, '!', '-o', run.bridge, ...mark, '-j', 'DROP'],
    ['FORWARD', '!', '-i', run.bridge, '-o', run.bridge, ...mark, '-j', 'DROP'],
  ];
}

export function bridgeSetup(run: RunNames, subnet: number): string[][] {
  return [
    ['ip', 'link', 'add', run.bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${bridgeAddr(subnet)}/${SUBNET_PREFIX_LEN}`, 'dev', run.bridge],
    ['ip', 'link', 'set', run.bridge, 'up'],
    // Inserted at the top one by one, so insert the last first to keep their order.
    ...forwardRules(run)
      .reverse()
      .map((rule) => ['iptables', '-w', '-I', ...insertAtTop(rule)]),
  ];
}

function insertAtTop(rule: string[]): string[] {
  const [chain, ...spec] = rule;
  return [chain as string, '1', ...spec];
}

export function hostSetup(run: RunNames, subnet: number, host: HostNames): string[][] {
  const ns = host.netns;
  return [
    ['ip', 'netns', 'add', ns],
    ['ip', 'link', 'add', host.veth, 'type', 'veth', 'peer', 'name', HOST_IFNAME, 'netns', ns],
    ['ip', 'link', 'set', host.veth, 'master', run.bridge, 'up'],
    ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
    ['ip', '-n', ns, 'addr', 'add', `${host.addr}/${SUBNET_PREFIX_LEN}`, 'dev', HOST_IFNAME],
    ['ip', '-n', ns, 'link', 'set', HOST_IFNAME, 'up'],
    ['ip', '-n', ns, 'route', 'add', 'default', 'via', bridgeAddr(subnet)],
  ];
}
