import type { CommandRunner } from '../exec/runner.js';

/** The bridge of an overlay network (the agent's overlay code names it the same way). */
export function overlayBridge(vni: number): string {
  return `fltbr-${vni}`;
}

/** Pure: the /32 addresses `ip -j addr show dev X` lists (VIPs; the gateway has the subnet's prefix). */
export function parseHostAddrs(json: string): string[] {
  const links = JSON.parse(json) as { addr_info?: { family?: string; local?: string; prefixlen?: number }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.prefixlen === 32 && a.local).map((a) => a.local!));
}

/**
 * Puts a network's service VIPs on its bridge (and takes off the ones no longer wanted), so
 * the node answers containers' ARP for them and their packets reach the nat table here.
 * Resolves false when the bridge does not exist yet (the agent makes it with the first task).
 */
export async function syncVipAddresses(run: CommandRunner, bridge: string, vips: readonly string[]): Promise<boolean> {
  let have: string[];
  try {
    have = parseHostAddrs(await run(['ip', '-j', 'addr', 'show', 'dev', bridge]));
  } catch (err) {
    if (/does not exist|Cannot find device/i.test((err as Error).message)) return false;
    throw err;
  }
  for (const vip of vips) if (!have.includes(vip)) await run(['ip', 'addr', 'add', `${vip}/32`, 'dev', bridge]);
  for (const addr of have) if (!vips.includes(addr)) await run(['ip', 'addr', 'del', `${addr}/32`, 'dev', bridge]);
  return true;
}
