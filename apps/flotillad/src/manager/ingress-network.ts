import { newId, type Network, type NetworkPoolConfig } from '@flotilla/api';
import type { SwarmInitOptions } from '../swarm/swarm-controller.js';

/**
 * The routing-mesh network every swarm has from `swarm init` on, as in Docker: named "ingress",
 * spec.ingress set, no subnet asked so the allocator gives it the first one of the default pool.
 */
export function ingressNetworkForInit(): Network {
  return {
    id: newId(),
    spec: {
      annotations: { name: 'ingress', labels: {} },
      driver: 'overlay',
      ipam: [],
      attachable: false,
      internal: false,
      ingress: true,
    },
  };
}

/** The cluster's default address pool from the init flags; undefined leaves validateClusterSpec's defaults. */
export function networkPoolForInit(o: Pick<SwarmInitOptions, 'defaultAddrPool' | 'defaultAddrPoolMaskLength'>): NetworkPoolConfig | undefined {
  const pools = o.defaultAddrPool ?? [];
  const mask = o.defaultAddrPoolMaskLength ?? 0;
  if (pools.length === 0 && mask === 0) return undefined;
  return { defaultAddrPool: pools.length > 0 ? [...pools] : ['10.0.0.0/8'], subnetSize: mask > 0 ? mask : 24 };
}
