import { readFile } from 'node:fs/promises';
import type { UpstreamResolver } from '../dns/forward.js';
import { isIpv4 } from '../lb/validate.js';

/** Pure: the first IPv4 nameserver of a resolv.conf that is not one of `exclude` (our own listeners). */
export function parseResolvConf(text: string, exclude: readonly string[] = []): UpstreamResolver | undefined {
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && isIpv4(m[1]!) && !exclude.includes(m[1]!)) return { host: m[1]!, port: 53 };
  }
  return undefined;
}

/** The host's resolver, where names that are not ours go; undefined when there is none. */
export async function hostResolver(path = '/etc/resolv.conf'): Promise<UpstreamResolver | undefined> {
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
