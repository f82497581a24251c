import { createHash } from 'node:crypto';
import type { BackendAddr, Vip } from '../lb/types.js';
import type { ObservedNat } from './observed.js';

export const DEFAULT_CHAIN_PREFIX = 'FLT-';
/** The built-in nat chains we hook: OUTPUT for connections made on this host, PREROUTING for those routed through it. */
export const HOOKED_CHAINS = ['PREROUTING', 'OUTPUT'] as const;

export interface DesiredService {
  vip: Vip;
  backends: readonly BackendAddr[];
}

export interface ChainNames {
  prefix: string;
  top: string;
}

export function chainNames(prefix = DEFAULT_CHAIN_PREFIX): ChainNames {
  return { prefix, top: `${prefix}SERVICES` };
}

/** Stable per-VIP chain name; a hash keeps it under iptables' 28-character limit. */
export function serviceChain(vip: Vip, names: ChainNames): string {
  const h = createHash('sha256').update(`${vip.protocol}:${vip.addr}:${vip.port}`).digest('hex').slice(0, 16).toUpperCase();
  return `${names.prefix}SVC-${h}`;
}

/**
 * Pure: the rules of one service chain. Backend i of n is taken with probability
 * 1/(n-i) among the packets that reached it, so each of the n is picked with 1/n; the last
 * one takes everything left. A service with no backends gets an empty chain: packets stay
 * addressed to the VIP, which nobody owns, and the connection fails.
 */
export function serviceRules(chain: string, svc: DesiredService): string[] {
  const p = svc.vip.protocol;
  const n = svc.backends.length;
  return svc.backends.map((b, i) => {
    const left = n - i;
    const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
    return `-A ${chain} -p ${p}${pick} -j DNAT --to-destination ${b.addr}:${b.port}`;
  });
}

/**
 * Pure: the `iptables-restore --noflush` input that turns what is installed (`observed`)
 * into `desired`, in one transaction. Declaring a chain creates it or flushes it, so every
 * chain we keep is rewritten whole; chains no longer wanted are flushed and then deleted;
 * the hooks from the built-in chains exist exactly once while any service exists, and not at
 * all when none does, so removing the last service leaves nothing of ours behind.
 */
export function renderRestore(desired: readonly DesiredService[], observed: ObservedNat, names: ChainNames): string {
  const wanted = new Map<string, DesiredService>();
  for (const svc of [...desired].sort((a, b) => compareVip(a.vip, b.vip))) wanted.set(serviceChain(svc.vip, names), svc);
  const keepTop = wanted.size > 0;

  const declare = new Set<string>();
  if (keepTop || observed.chains.includes(names.top)) declare.add(names.top);
  for (const c of wanted.keys()) declare.add(c);
  for (const c of observed.chains) declare.add(c);

  const lines = ['*nat', ...[...declare].map((c) => `:${c} - [0:0]`)];
  for (const hook of HOOKED_CHAINS) {
    const have = observed.hooks[hook] ?? 0;
    const want = keepTop ? 1 : 0;
    for (let i = have; i < want; i++) lines.push(`-A ${hook} -j ${names.top}`);
    for (let i = want; i < have; i++) lines.push(`-D ${hook} -j ${names.top}`);
  }
  for (const [chain, svc] of wanted) {
    const v = svc.vip;
    lines.push(`-A ${names.top} -d ${v.addr}/32 -p ${v.protocol} -m ${v.protocol} --dport ${v.port} -j ${chain}`);
  }
  for (const [chain, svc] of wanted) lines.push(...serviceRules(chain, svc));
  for (const c of declare) {
    if (!wanted.has(c) && !(c === names.top && keepTop)) lines.push(`-X ${c}`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

function compareVip(a: Vip, b: Vip): number {
  return `${a.protocol}:${a.addr}:${a.port}`.localeCompare(`${b.protocol}:${b.addr}:${b.port}`);
}
