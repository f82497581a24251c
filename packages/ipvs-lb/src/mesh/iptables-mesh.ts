import type { Logger } from 'pino';
import { localRunner, type CommandRunner } from '../exec/runner.js';
import { SerialQueue } from '../lb/serial.js';
import { isIpv4 } from '../lb/validate.js';
import { parseTableSave } from './observed.js';
import { meshChains, renderMeshRestore, type MeshChains, type MeshDesired } from './rules.js';

export interface IptablesMeshOptions {
  run?: CommandRunner;
  /** Must not start with the VIP back end's prefix (each owns every chain under its own). */
  chainPrefix: string;
  logger?: Logger;
}

/**
 * The routing mesh with iptables: every node answers on every published port and forwards
 * to a serving task anywhere (see meshRules). Each apply reads the installed state and
 * writes the whole difference in one `iptables-restore --noflush` (nat and filter together).
 */
export class IptablesMesh {
  private readonly run: CommandRunner;
  private readonly chains: MeshChains;
  private readonly queue = new SerialQueue();

  constructor(private readonly opts: IptablesMeshOptions) {
    this.run = opts.run ?? localRunner;
    this.chains = meshChains(opts.chainPrefix);
  }

  apply(desired: MeshDesired): Promise<void> {
    validateMesh(desired);
    return this.queue.run(() => this.write(desired, `publishing ${desired.ports.length} port(s)`));
  }

  close(): Promise<void> {
    return this.queue.run(() => this.write({ ports: [], peers: [] }, 'removing every published port on close'));
  }

  private async write(desired: MeshDesired, what: string): Promise<void> {
    try {
      const saved = await this.run(['iptables-save']);
      const observed = { nat: parseTableSave(saved, 'nat', this.chains.prefix), filter: parseTableSave(saved, 'filter', this.chains.prefix) };
      await this.run(['iptables-restore', '-w', '--noflush'], renderMeshRestore(desired, observed, this.chains));
    } catch (err) {
      throw new Error(`iptables routing mesh: ${what}: ${(err as Error).message}`);
    }
    this.opts.logger?.info({ component: 'ipvs-lb', backend: 'iptables', ports: desired.ports.map((p) => `${p.publishedPort}/${p.protocol}`) }, what);
  }
}

/** Bad input is refused before anything changes. */
export function validateMesh(desired: MeshDesired): void {
  const seen = new Set<string>();
  for (const p of desired.ports) {
    const what = `published port ${p.publishedPort}/${p.protocol} of ${p.serviceName}`;
    if (!Number.isInteger(p.publishedPort) || p.publishedPort < 1 || p.publishedPort > 65535) throw new Error(`${what}: not a port`);
    if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw new Error(`${what}: protocol is not tcp or udp`);
    const key = `${p.protocol}:${p.publishedPort}`;
    if (seen.has(key)) throw new Error(`${what}: published twice`);
    seen.add(key);
    for (const t of p.targets) {
      if (!isIpv4(t.addr)) throw new Error(`${what}: target "${t.addr}" is not an IPv4 address`);
      if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) throw new Error(`${what}: target port ${t.port} is not a port`);
    }
  }
  for (const peer of desired.peers) if (!isIpv4(peer)) throw new Error(`mesh peer "${peer}" is not an IPv4 address`);
}
