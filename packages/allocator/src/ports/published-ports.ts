/**
 * Published ports of the ingress routing mesh are cluster-wide: one owner per
 * (protocol, port). Explicit ports are checked for conflicts; a port published without
 * a number gets one from the dynamic range, as in Docker (30000-32767).
 */
export type Protocol = 'tcp' | 'udp';

export const DYNAMIC_PORT_RANGE = { first: 30000, last: 32767 } as const;

export class PublishedPorts {
  private readonly owners = new Map<string, string>();

  private key(protocol: Protocol, port: number): string {
    return `${protocol}/${port}`;
  }

  ownerOf(protocol: Protocol, port: number): string | undefined {
    return this.owners.get(this.key(protocol, port));
  }

  claim(protocol: Protocol, port: number, owner: string): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`published port ${port} is out of range 1-65535`);
    const current = this.ownerOf(protocol, port);
    if (current !== undefined && current !== owner) {
      throw new Error(`port ${port}/${protocol} is already published by service ${current}`);
    }
    this.owners.set(this.key(protocol, port), owner);
  }

  claimDynamic(protocol: Protocol, owner: string): number {
    for (let p = DYNAMIC_PORT_RANGE.first; p <= DYNAMIC_PORT_RANGE.last; p++) {
      if (!this.owners.has(this.key(protocol, p))) {
        this.owners.set(this.key(protocol, p), owner);
        return p;
      }
    }
    throw new Error(`no free ${protocol} port left in the dynamic range ${DYNAMIC_PORT_RANGE.first}-${DYNAMIC_PORT_RANGE.last}`);
  }

  releaseOwner(owner: string): void {
    for (const [k, o] of this.owners) if (o === owner) this.owners.delete(k);
  }
}
