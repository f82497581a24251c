/**
 * VXLAN network identifiers for overlay networks. IDs below 4096 are left alone so they
 * can never be mistaken for VLAN IDs on hosts that also bridge VLANs (Docker does the same).
 */
export const FIRST_VXLAN_ID = 4096;
export const LAST_VXLAN_ID = (1 << 24) - 1;

export class VxlanIds {
  private readonly used = new Set<number>();

  reserve(id: number): void {
    if (!Number.isInteger(id) || id < FIRST_VXLAN_ID || id > LAST_VXLAN_ID) {
      throw new Error(`VXLAN id ${id} is out of range ${FIRST_VXLAN_ID}-${LAST_VXLAN_ID}`);
    }
    if (this.used.has(id)) throw new Error(`VXLAN id ${id} is already in use`);
    this.used.add(id);
  }

  allocate(): number {
    for (let id = FIRST_VXLAN_ID; id <= LAST_VXLAN_ID; id++) {
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
    throw new Error('no VXLAN id left');
  }

  release(id: number): void {
    this.used.delete(id);
  }
}
