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

/** iptables refuses chain names longer than this. */
export const MAX_CHAIN_NAME = 28;

/** Stable per-VIP chain name; a hash (16 hex digits, fewer for a long prefix) keeps it under iptables' limit. */
export function serviceChain(vip: Vip, names: ChainNames): string {
  const head = `${names.prefix}SVC-`;
  const digits = Math.min(16, MAX_CHAIN_NAME - head.length);
  if (digits < 8) throw new Error(`iptables chain prefix "${names.prefix}" is too long`);
  const h = createHash('sha256').update(`${vip.protocol}:${vip.addr}:${vip.port}`).digest('hex').slice(0, digits).toUpperCase();
  return `${head}${h}`;
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
    const pick = left > 1 ? ` -m statistic --mode random --probability ${kernelProbability(1 / left)}` : '';
    // Port 0: every port of the VIP, kept as it is.
    const to = b.port === 0 ? b.addr : `${b.addr}:${b.port}`;
    return `-A ${chain} -p ${p}${pick} -j DNAT --to-destination ${to}`;
  });
}

/**
 * The kernel keeps the probability as a 31-bit fraction (xt_statistic: lround(p * 2^31)) and
 * iptables-save prints that back with 11 decimals; writing the same rounded value lets us
 * recognise our own installed rules and skip rewriting chains that did not change.
 */
export function kernelProbability(p: number): string {
  return (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

/**
 * Pure: the `iptables-restore --noflush` input that turns what is installed (`observed`)
 * into `desired`, in one transaction. Declaring a chain creates it or flushes it, so a chain
 * whose rules differ from what iptables-save shows is declared and rewritten whole, and one
 * that already matches is left out (so one service's change does not rewrite the others);
 * chains no longer wanted are flushed and then deleted; the hooks from the built-in chains
 * exist exactly once while any service exists, and not at all when none does, so removing the
 * last service leaves nothing of ours behind.
 */
export function renderRestore(desired: readonly DesiredService[], observed: ObservedNat, names: ChainNames): string {
  const wanted = new Map<string, string[]>();
  const jumps: string[] = [];
  for (const svc of [...desired].sort((a, b) => compareVip(a.vip, b.vip))) {
    const chain = serviceChain(svc.vip, names);
    const v = svc.vip;
    const ports = v.port === 0 ? '' : ` -m ${v.protocol} --dport ${v.port}`;
    jumps.push(`-A ${names.top} -d ${v.addr}/32 -p ${v.protocol}${ports} -j ${chain}`);
    wanted.set(chain, serviceRules(chain, svc));
  }
  const keepTop = wanted.size > 0;
  if (keepTop) wanted.set(names.top, jumps);

  const present = new Set(observed.chains);
  const rewrite = [...wanted].filter(([chain, rules]) => !present.has(chain) || !sameLines(observed.rules[chain] ?? [], rules));
  const remove = observed.chains.filter((c) => !wanted.has(c));

  const lines = ['*nat'];
  for (const [chain] of rewrite) lines.push(`:${chain} - [0:0]`);
  for (const chain of remove) lines.push(`:${chain} - [0:0]`);
  for (const hook of HOOKED_CHAINS) {
    const have = observed.hooks[hook] ?? 0;
    const want = keepTop ? 1 : 0;
    for (let i = have; i < want; i++) lines.push(`-A ${hook} -j ${names.top}`);
    for (let i = want; i < have; i++) lines.push(`-D ${hook} -j ${names.top}`);
  }
  for (const [, rules] of rewrite) lines.push(...rules);
  for (const chain of remove) lines.push(`-X ${chain}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

function compareVip(a: Vip, b: Vip): number {
  return `${a.protocol}:${a.addr}:${a.port}`.localeCompare(`${b.protocol}:${b.addr}:${b.port}`);
}
