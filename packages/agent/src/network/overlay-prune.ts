// Pure: which overlays on a node nobody wants any more (after an agent restart,
// or a network deleted while the agent was away), from what the node has.
import { NETWORK_ID_LABEL } from './overlay-names.js';
import type { OverlayNetworkRef } from './overlay-types.js';

export interface ExistingDockerNetwork {
  name: string;
  labels: Record<string, string> | undefined;
}

export interface UndesiredOverlays {
  /** Names of Flotilla's Docker networks whose network is not kept. */
  dockerNetworks: string[];
  /** VNIs with a bridge or VXLAN device on the node that are not kept. */
  vnis: number[];
}

export function undesiredOverlays(
  deviceNames: readonly string[],
  dockerNetworks: readonly ExistingDockerNetwork[],
  keep: readonly Pick<OverlayNetworkRef, 'id' | 'vni'>[],
): UndesiredOverlays {
  const keepIds = new Set(keep.map((n) => n.id));
  const keepVnis = new Set(keep.map((n) => n.vni));
  const vnis = new Set<number>();
  for (const name of deviceNames) {
    const m = /^flt(?:br|vx)-(\d+)$/.exec(name);
    if (m && !keepVnis.has(Number(m[1]))) vnis.add(Number(m[1]));
  }
  return {
    // Only networks carrying our label: an operator's own Docker networks are never touched.
    dockerNetworks: dockerNetworks
      .filter((n) => n.labels?.[NETWORK_ID_LABEL] !== undefined && !keepIds.has(n.labels[NETWORK_ID_LABEL]))
      .map((n) => n.name)
      .sort(),
    vnis: [...vnis].sort((a, b) => a - b),
  };
}
