// Pure: the dispatcher's NodeNetworkState as the overlay data path's input (one
// OverlayDesired per network), and a task's attachments as what its container needs.
import type { Network, NodeNetworkState, Task } from '@flotilla/api';
import { macForIp } from '../network/overlay-names.js';
import type { OverlayDesired, OverlayEndpoint, OverlayNetworkRef } from '../network/overlay-types.js';

/** One network a task's container joins, with the allocator's address (no prefix). */
export interface TaskAttachment {
  networkId: string;
  ip: string;
}

/** `198.19.1.3/24` → `198.19.1.3`; an address without a prefix is kept as it is. */
export function addressOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/** The networks of a task, in the order of its attachments; those without an address are skipped. */
export function taskAttachments(task: Task): TaskAttachment[] {
  const out: TaskAttachment[] = [];
  for (const n of task.networks) {
    const addr = n.addresses[0];
    if (n.networkId && addr) out.push({ networkId: n.networkId, ip: addressOf(addr) });
  }
  return out;
}

/** What the data path needs of a network object; undefined while it has no subnet or VXLAN id yet. */
export function overlayRefOf(network: Network): OverlayNetworkRef | undefined {
  const ipam = network.status?.ipam[0] ?? network.spec?.ipam[0];
  const vni = network.status?.vxlanId ?? 0;
  if (!ipam?.subnet || !ipam.gateway || vni === 0) return undefined;
  return { id: network.id, vni, subnet: ipam.subnet, gateway: addressOf(ipam.gateway) };
}

/**
 * Each network of the state with its peers and every task endpoint on it (all nodes; the data
 * path skips this node's own). Endpoints of tasks that are not serving are kept: their
 * containers may be starting, and an entry for a container that is gone does no harm.
 */
export function overlaysOf(state: NodeNetworkState): Map<string, OverlayDesired> {
  const endpoints = new Map<string, Map<string, OverlayEndpoint>>();
  for (const s of state.services) {
    for (const t of s.tasks) {
      if (!t.nodeAddr) continue;
      for (const att of t.networks) {
        const addr = att.addresses[0];
        if (!addr) continue;
        const ip = addressOf(addr);
        let byIp = endpoints.get(att.networkId);
        if (!byIp) endpoints.set(att.networkId, (byIp = new Map()));
        byIp.set(ip, { ip, mac: macForIp(ip), node: t.nodeAddr });
      }
    }
  }
  const out = new Map<string, OverlayDesired>();
  for (const n of state.networks) {
    const ref = n.network ? overlayRefOf(n.network) : undefined;
    if (!ref) continue;
    const eps = [...(endpoints.get(ref.id)?.values() ?? [])].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
    out.set(ref.id, { network: ref, peers: [...n.peerAddrs], endpoints: eps });
  }
  return out;
}
