import type { BackendAddr, Vip } from '../lb/types.js';
import { vipKey } from '../lb/types.js';

export interface IpvsService {
  vip: Vip;
  backends: readonly BackendAddr[];
}

const SCHEDULER = 'rr';

function flag(vip: Vip): string {
  return `${vip.protocol === 'tcp' ? '-t' : '-u'} ${vip.addr}:${vip.port}`;
}

/** Pure: the `ipvsadm -Sn` lines that concern TCP/UDP virtual services (fwmark services are someone else's). */
export function parseIpvsSave(text: string): IpvsService[] {
  const byKey = new Map<string, { vip: Vip; backends: BackendAddr[] }>();
  for (const raw of text.split('\n')) {
    const m = /^-([Aa]) -([tu]) (\d+\.\d+\.\d+\.\d+):(\d+)(?: -r (\d+\.\d+\.\d+\.\d+):(\d+))?/.exec(raw.trim());
    if (!m) continue;
    const vip: Vip = { addr: m[3]!, port: Number(m[4]), protocol: m[2] === 't' ? 'tcp' : 'udp' };
    const key = vipKey(vip);
    if (!byKey.has(key)) byKey.set(key, { vip, backends: [] });
    if (m[1] === 'a' && m[5]) byKey.get(key)!.backends.push({ addr: m[5], port: Number(m[6]) });
  }
  return [...byKey.values()];
}

/**
 * Pure: the `ipvsadm -R` input that takes the managed VIPs from `installed` to `desired`.
 * Only VIPs in `managed` are touched. New backends are added before gone ones are deleted, so
 * a service never passes through an empty set, and backends that stay keep their connections.
 */
export function ipvsRestoreLines(installed: readonly IpvsService[], desired: readonly IpvsService[], managed: ReadonlySet<string>): string[] {
  const have = new Map(installed.filter((s) => managed.has(vipKey(s.vip))).map((s) => [vipKey(s.vip), s]));
  const want = new Map(desired.map((s) => [vipKey(s.vip), s]));
  const lines: string[] = [];
  for (const [key, svc] of want) {
    const f = flag(svc.vip);
    const old = have.get(key);
    if (!old) lines.push(`-A ${f} -s ${SCHEDULER}`);
    const oldSet = new Set((old?.backends ?? []).map((b) => `${b.addr}:${b.port}`));
    const newSet = new Set(svc.backends.map((b) => `${b.addr}:${b.port}`));
    for (const b of newSet) if (!oldSet.has(b)) lines.push(`-a ${f} -r ${b} -m -w 1`);
    for (const b of oldSet) if (!newSet.has(b)) lines.push(`-d ${f} -r ${b}`);
  }
  for (const [key, svc] of have) if (!want.has(key)) lines.push(`-D ${flag(svc.vip)}`);
  return lines;
}
