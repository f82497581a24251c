// VXLAN (UDP 4789) carries no authentication: any host that can reach the port and guesses a
// VNI could put frames into an overlay. The filter accepts a VXLAN packet only from a VTEP that
// is a peer of this node on that very VNI (the peers the dispatcher and the gossip network DB
// name: the same addresses the forwarding entries point at) and drops the rest, in the
// namespace where the agent plumbs its overlays. The rules are pure here; VxlanFilter applies
// them with one iptables-restore (the chain is replaced at once, never seen half written).
import type { CommandRunner } from './command-runner.js';
import { desiredFdb } from './overlay-plan.js';
import { VXLAN_PORT } from './overlay-names.js';
import type { OverlayDesired } from './overlay-types.js';

/** The filter chain, jumped to from INPUT for UDP to the VXLAN port. */
export const VXLAN_FILTER_CHAIN = 'FLT-VXLAN-IN';

/** The VTEPs allowed to send one VNI's frames here. */
export interface VxlanPeers {
  vni: number;
  vteps: readonly string[];
}

/** The VTEPs this node sends a network's frames to are the ones it takes them from. */
export function vxlanPeersOf(desired: OverlayDesired, localAddr: string): VxlanPeers {
  return { vni: desired.network.vni, vteps: [...new Set(desiredFdb(desired, localAddr).map((e) => e.dst))].sort() };
}

/**
 * u32 match on the VNI: skip the IP header (its length from IHL), then 12 bytes into the UDP
 * payload (8 of UDP header, 4 of VXLAN flags) are the VNI's three bytes and a reserved one.
 */
export function vniMatch(vni: number): string {
  return `0>>22&0x3C@12>>8=${vni}`;
}

/** The jump from INPUT, as iptables -C/-I/-D take it. */
export const VXLAN_JUMP: readonly string[] = ['INPUT', '-p', 'udp', '--dport', String(VXLAN_PORT), '-j', VXLAN_FILTER_CHAIN];

/**
 * iptables-restore --noflush input replacing the chain: one RETURN per (VNI, VTEP), then DROP.
 * RETURN, not ACCEPT, so an operator's own INPUT rules still apply to what we let through.
 */
export function vxlanFilterRestore(overlays: readonly VxlanPeers[]): string {
  const lines = ['*filter', `:${VXLAN_FILTER_CHAIN} - [0:0]`];
  for (const { vni, vteps } of [...overlays].sort((a, b) => a.vni - b.vni)) {
    for (const vtep of vteps) lines.push(`-A ${VXLAN_FILTER_CHAIN} -s ${vtep}/32 -p udp -m udp --dport ${VXLAN_PORT} -m u32 --u32 "${vniMatch(vni)}" -j RETURN`);
  }
  lines.push(`-A ${VXLAN_FILTER_CHAIN} -j DROP`, 'COMMIT', '');
  return lines.join('\n');
}

/**
 * The edge: keeps the chain equal to the overlays it is given and the jump to it in place;
 * `remove()` leaves neither. Calls must not overlap (OverlayNetworks serialises them).
 */
export class VxlanFilter {
  private applied: string | undefined;

  constructor(private readonly run: CommandRunner) {}

  async apply(overlays: readonly VxlanPeers[]): Promise<boolean> {
    const text = vxlanFilterRestore(overlays);
    if (text === this.applied) return false;
    await this.run(['iptables-restore', '--noflush'], text);
    if (!(await this.jumpExists())) await this.run(['iptables', '-I', ...VXLAN_JUMP.slice(0, 1), '1', ...VXLAN_JUMP.slice(1)]);
    this.applied = text;
    return true;
  }

  /** Removes the jump and the chain (nothing to do when they are not there). */
  async remove(): Promise<void> {
    while (await this.jumpExists()) await this.run(['iptables', '-D', ...VXLAN_JUMP]);
    if (await this.chainExists()) {
      await this.run(['iptables', '-F', VXLAN_FILTER_CHAIN]);
      await this.run(['iptables', '-X', VXLAN_FILTER_CHAIN]);
    }
    this.applied = undefined;
  }

  private async jumpExists(): Promise<boolean> {
    return this.succeeds(['iptables', '-C', ...VXLAN_JUMP]);
  }

  private async chainExists(): Promise<boolean> {
    return this.succeeds(['iptables', '-S', VXLAN_FILTER_CHAIN]);
  }

  private async succeeds(argv: string[]): Promise<boolean> {
    try {
      await this.run(argv);
      return true;
    } catch {
      return false;
    }
  }
}
