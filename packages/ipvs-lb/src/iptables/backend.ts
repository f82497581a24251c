import type { Logger } from 'pino';
import { localRunner, type CommandRunner } from '../exec/runner.js';
import { SerialQueue } from '../lb/serial.js';
import { vipKey, type BackendAddr, type LoadBalancer, type Vip } from '../lb/types.js';
import { validateBackends, validateVip } from '../lb/validate.js';
import { parseNatSave } from './observed.js';
import { chainNames, renderRestore, type ChainNames, type DesiredService } from './rules.js';

export interface IptablesBackendOptions {
  /** Runs iptables-save/iptables-restore; default: on this host. Tests pass one that runs in a network namespace. */
  run?: CommandRunner;
  chainPrefix?: string;
  logger?: Logger;
}

/**
 * VIP load balancing with iptables NAT and the statistic match, for kernels without IPVS.
 * Every apply reads the installed state and writes the whole difference with one
 * `iptables-restore --noflush`, so a half-applied change cannot happen and leftovers of an
 * earlier crashed run are corrected on the first apply.
 */
export class IptablesBackend implements LoadBalancer {
  readonly kind = 'iptables' as const;
  private readonly run: CommandRunner;
  private readonly names: ChainNames;
  private readonly desired = new Map<string, DesiredService>();
  private readonly queue = new SerialQueue();

  constructor(private readonly opts: IptablesBackendOptions = {}) {
    this.run = opts.run ?? localRunner;
    this.names = chainNames(opts.chainPrefix);
  }

  async ensureService(vip: Vip, backends: readonly BackendAddr[]): Promise<void> {
    validateVip(vip, true);
    validateBackends(vip, backends);
    const svc: DesiredService = { vip: { ...vip }, backends: backends.map((b) => ({ ...b })) };
    return this.queue.run(async () => {
      const next = new Map(this.desired).set(vipKey(vip), svc);
      await this.apply(next, `setting ${backends.length} backend(s) for ${vipKey(vip)}`);
    });
  }

  async removeService(vip: Vip): Promise<void> {
    validateVip(vip, true);
    return this.queue.run(async () => {
      const next = new Map(this.desired);
      next.delete(vipKey(vip));
      await this.apply(next, `removing service ${vipKey(vip)}`);
    });
  }

  close(): Promise<void> {
    return this.queue.run(() => this.apply(new Map(), 'removing all services on close'));
  }

  private async apply(next: Map<string, DesiredService>, what: string): Promise<void> {
    try {
      const saved = await this.run(['iptables-save', '-t', 'nat']);
      const observed = parseNatSave(saved, this.names.prefix, this.names.top);
      const input = renderRestore([...next.values()], observed, this.names);
      await this.run(['iptables-restore', '-w', '--noflush'], input);
    } catch (err) {
      throw new Error(`iptables back end: ${what}: ${(err as Error).message}`);
    }
    this.desired.clear();
    for (const [k, v] of next) this.desired.set(k, v);
    this.opts.logger?.info({ component: 'ipvs-lb', backend: 'iptables', services: next.size }, what);
  }
}
