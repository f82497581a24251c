// Virtual IPs of a service: one per network it is attached to (its task networks, plus ingress
// when it publishes a port through the routing mesh), none in DNS round-robin mode. Pure apart
// from the NetworkAddresses table it is given.
import { EndpointMode, PublishMode, type Network, type Service, type VirtualIp } from '@flotilla/api';
import type { ReadTx } from '@flotilla/raft';
import type { NetworkAddresses } from './network-addresses.js';

export type Resolved<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Whether a service (or a spec about to become one) publishes a port through the routing mesh. */
export const publishesIngress = (s: Pick<Service, 'spec'>): boolean =>
  (s.spec?.endpoint?.ports ?? []).some((p) => p.publishMode !== PublishMode.PUBLISH_MODE_HOST);

/** The cluster's routing-mesh network (spec.ingress), if it exists. */
export function ingressNetwork(view: Pick<ReadTx, 'networks'>): Network | undefined {
  for (const n of view.networks.all()) if (n.spec?.ingress) return n;
  return undefined;
}

/** Networks the service's tasks join without naming them: ingress, when ports are published through the mesh. */
export function implicitNetworks(s: Service, view: Pick<ReadTx, 'networks'>): Resolved<Network[]> {
  if (!publishesIngress(s)) return { ok: true, value: [] };
  const ingress = ingressNetwork(view);
  if (!ingress) return { ok: false, reason: `service ${s.spec?.annotations?.name ?? s.id} publishes ports through the routing mesh but the ingress network does not exist (create one: flotilla network create -d overlay --ingress ingress)` };
  return { ok: true, value: [ingress] };
}

/** Every network the service is on, implicit ones first, each once. */
export function serviceNetworks(s: Service, view: Pick<ReadTx, 'networks'>): Resolved<Network[]> {
  const implicit = implicitNetworks(s, view);
  if (!implicit.ok) return implicit;
  const out = [...implicit.value];
  for (const a of s.spec?.task?.networks ?? []) {
    const n = view.networks.get(a.target) ?? view.networks.byName(a.target);
    if (!n) return { ok: false, reason: `network ${a.target} not found` };
    if (!out.some((o) => o.id === n.id)) out.push(n);
  }
  return { ok: true, value: out };
}

/** Networks that get a VIP: all the service's networks, unless it resolves names by DNS round robin. */
export function vipNetworks(s: Service, view: Pick<ReadTx, 'networks'>): Resolved<Network[]> {
  const all = serviceNetworks(s, view);
  if (!all.ok) return all;
  return { ok: true, value: s.spec?.endpoint?.mode === EndpointMode.ENDPOINT_MODE_DNSRR ? [] : all.value };
}

/**
 * The VIPs the service should hold: the ones it has on networks it still uses are kept, missing
 * ones are taken from the networks' pools. `released` lists the VIPs it no longer needs (the
 * caller gives them back once the write is decided). Nothing is taken on a refusal.
 */
export function allocateVips(
  s: Service,
  networks: readonly Network[],
  addresses: NetworkAddresses,
): { ok: true; vips: VirtualIp[]; released: VirtualIp[] } | { ok: false; reason: string } {
  const held = s.endpoint?.virtualIps ?? [];
  const taken: VirtualIp[] = [];
  const vips: VirtualIp[] = [];
  for (const n of networks) {
    const kept = held.find((v) => v.networkId === n.id);
    if (kept) {
      vips.push(kept);
      continue;
    }
    let addr: string | undefined;
    try {
      addr = addresses.allocateOn(n);
    } catch (err) {
      for (const t of taken) addresses.releaseOn(t.networkId, t.addr);
      return { ok: false, reason: `virtual IP on network ${n.spec?.annotations?.name ?? n.id}: ${(err as Error).message}` };
    }
    if (addr === undefined) {
      for (const t of taken) addresses.releaseOn(t.networkId, t.addr);
      return { ok: false, reason: `network ${n.id} has no subnet allocated yet` };
    }
    const vip = { networkId: n.id, addr };
    taken.push(vip);
    vips.push(vip);
  }
  const released = held.filter((v) => !networks.some((n) => n.id === v.networkId));
  return { ok: true, vips, released };
}

/** Whether the stored VIPs cover exactly the networks the service needs one on. */
export function vipsCurrent(s: Service, networks: readonly Network[]): boolean {
  const held = s.endpoint?.virtualIps ?? [];
  return held.length === networks.length && networks.every((n) => held.some((v) => v.networkId === n.id));
}
