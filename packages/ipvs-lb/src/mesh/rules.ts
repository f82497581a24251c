import { kernelProbability, MAX_CHAIN_NAME } from '../iptables/rules.js';
import type { MeshTarget, PlannedMeshPort } from '../node-plan/types.js';
import type { ObservedTable } from './observed.js';

/** What the routing mesh needs from iptables on one node. */
export interface MeshDesired {
  ports: readonly PlannedMeshPort[];
  /** Other nodes' advertise addresses: connections from them were balanced already and go to local tasks. */
  peers: readonly string[];
}

export interface MeshChains {
  prefix: string;
  /** nat, jumped to from PREROUTING and OUTPUT: one rule per published port. */
  ingress: string;
  /** nat, jumped to from POSTROUTING: masquerade what is forwarded to another node, so it answers through us. */
  snat: string;
  /** filter, jumped to from the top of FORWARD: let mesh connections through Docker's DROP policy. */
  forward: string;
}

export function meshChains(prefix: string): MeshChains {
  if (`${prefix}UDP-65535-L`.length > MAX_CHAIN_NAME) throw new Error(`mesh chain prefix "${prefix}" is too long`);
  return { prefix, ingress: `${prefix}INGRESS`, snat: `${prefix}SNAT`, forward: `${prefix}FORWARD` };
}

function portChain(c: MeshChains, p: PlannedMeshPort): string {
  return `${c.prefix}${p.protocol.toUpperCase()}-${p.publishedPort}`;
}

function balance(chain: string, protocol: string, targets: readonly MeshTarget[]): string[] {
  const n = targets.length;
  return targets.map((t, i) => {
    const left = n - i;
    const pick = left > 1 ? ` -m statistic --mode random --probability ${kernelProbability(1 / left)}` : '';
    return `-A ${chain} -p ${protocol}${pick} -j DNAT --to-destination ${t.addr}:${t.port}`;
  });
}

/**
 * Pure: the rules of the mesh. A connection to any local address (as Docker, `0.0.0.0`; not
 * loopback, which cannot be routed out) on a published port is sent to one serving task
 * chosen at random: a local one straight to its ingress address, a remote one to its node's
 * published port (masqueraded, so the answer comes back through us). A connection coming from
 * another node was balanced there already: it only ever goes to a local task, and when this
 * node has none it is left alone (refused) rather than sent on again, so it cannot loop.
 */
export function meshRules(desired: MeshDesired, c: MeshChains): { nat: Map<string, string[]>; filter: Map<string, string[]> } {
  const nat = new Map<string, string[]>();
  const filter = new Map<string, string[]>();
  const ports = [...desired.ports].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.publishedPort - b.publishedPort);
  if (ports.length === 0) return { nat, filter };
  const ingress: string[] = [];
  const snat = new Set<string>();
  const forward: string[] = [];
  for (const p of ports) {
    const chain = portChain(c, p);
    const localChain = `${chain}-L`;
    const proto = p.protocol;
    ingress.push(`-A ${c.ingress} ! -d 127.0.0.0/8 -p ${proto} -m addrtype --dst-type LOCAL -m ${proto} --dport ${p.publishedPort} -j ${chain}`);
    const rules = desired.peers.map((peer) => `-A ${chain} -s ${peer}/32 -j ${localChain}`);
    rules.push(...balance(chain, proto, p.targets));
    nat.set(chain, rules);
    const locals = p.targets.filter((t) => t.kind === 'local');
    nat.set(localChain, locals.length > 0 ? balance(localChain, proto, locals) : [`-A ${localChain} -j ACCEPT`]);
    for (const t of p.targets) {
      if (t.kind === 'remote') snat.add(`-A ${c.snat} -d ${t.addr}/32 -p ${proto} -m conntrack --ctstate DNAT -m ${proto} --dport ${t.port} -j MASQUERADE`);
    }
    forward.push(`-A ${c.forward} -p ${proto} -m conntrack --ctstate DNAT --ctorigdstport ${p.publishedPort} -j ACCEPT`);
  }
  nat.set(c.ingress, ingress);
  nat.set(c.snat, [...snat].sort());
  filter.set(c.forward, forward);
  return { nat, filter };
}

interface Hook {
  table: 'nat' | 'filter';
  builtin: string;
  chain: string;
  /** filter FORWARD: before Docker's rules (its policy there is DROP). */
  first: boolean;
}

function hooks(c: MeshChains): Hook[] {
  return [
    { table: 'nat', builtin: 'PREROUTING', chain: c.ingress, first: false },
    { table: 'nat', builtin: 'OUTPUT', chain: c.ingress, first: false },
    { table: 'nat', builtin: 'POSTROUTING', chain: c.snat, first: false },
    { table: 'filter', builtin: 'FORWARD', chain: c.forward, first: true },
  ];
}

/**
 * Pure: one `iptables-restore --noflush` input (nat and filter) that makes the installed mesh
 * rules equal to `desired`. Every chain of ours is rewritten whole (declaring flushes it);
 * chains no longer wanted are deleted; hooks exist exactly once while any port is published
 * and not at all otherwise, so no `<prefix>` is left when the last port goes.
 */
export function renderMeshRestore(desired: MeshDesired, observed: { nat: ObservedTable; filter: ObservedTable }, c: MeshChains): string {
  const wanted = meshRules(desired, c);
  const any = wanted.nat.size > 0;
  const lines: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const want = wanted[table];
    const seen = observed[table];
    lines.push(`*${table}`);
    const gone = seen.chains.filter((ch) => !want.has(ch));
    for (const ch of [...want.keys(), ...gone]) lines.push(`:${ch} - [0:0]`);
    for (const h of hooks(c).filter((x) => x.table === table)) {
      const have = seen.hooks[`${h.builtin}>${h.chain}`] ?? 0;
      const need = any ? 1 : 0;
      for (let i = have; i < need; i++) lines.push(h.first ? `-I ${h.builtin} 1 -j ${h.chain}` : `-A ${h.builtin} -j ${h.chain}`);
      for (let i = need; i < have; i++) lines.push(`-D ${h.builtin} -j ${h.chain}`);
    }
    for (const rules of want.values()) lines.push(...rules);
    for (const ch of gone) lines.push(`-X ${ch}`);
    lines.push('COMMIT');
  }
  lines.push('');
  return lines.join('\n');
}
