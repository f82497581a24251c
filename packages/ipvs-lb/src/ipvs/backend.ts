import type { Logger } from 'pino';
import { localRunner, type CommandRunner } from '../exec/runner.js';
import { SerialQueue } from '../lb/serial.js';
import { vipKey, type BackendAddr, type LoadBalancer, type Vip } from '../lb/types.js';
import { validateBackends, validateVip } from '../lb/validate.js';
import { ipvsRestoreLines, parseIpvsSave, type IpvsService } from './commands.js';

export interface IpvsBackendOptions {
  run?: CommandRunner;
  logger?: Logger;
}

/**
 * Kernel IPVS virtual services (round robin, masquerading), programmed with `ipvsadm`.
 * Each apply reads `ipvsadm -Sn` and sends only the difference for the VIPs this instance
 * manages in one `ipvsadm -R`; IPVS has no transactions, so the order of the lines (add
 * before delete) is what keeps a service from ever having no backend.
 */
export class IpvsBackend implements LoadBalancer {
  readonly kind = 'ipvs' as const;
  private readonly run: CommandRunner;
  private readonly desired = new Map<string, IpvsService>();
  private readonly managed = new Set<string>();
  private readonly queue = new SerialQueue();

  constructor(private readonly opts: IpvsBackendOptions = {}) {
    this.run = opts.run ?? localRunner;
  }

  async ensureService(vip: Vip, backends: readonly BackendAddr[]): Promise<void> {
    validateVip(vip);
    validateBackends(vip, backends);
    const svc: IpvsService = { vip: { ...vip }, backends: backends.map((b) => ({ ...b })) };
    return this.queue.run(() => this.apply(new Map(this.desired).set(vipKey(vip), svc), `setting ${backends.length} backend(s) for ${vipKey(vip)}`, vipKey(vip)));
  }

  async removeService(vip: Vip): Promise<void> {
    validateVip(vip);
    return this.queue.run(() => {
      const next = new Map(this.desired);
      next.delete(vipKey(vip));
      return this.apply(next, `removing service ${vipKey(vip)}`, vipKey(vip));
    });
  }

  close(): Promise<void> {
    return this.queue.run(() => this.apply(new Map(), 'removing all services on close'));
  }

  private async apply(next: Map<string, IpvsService>, what: string, touched?: string): Promise<void> {
    const managed = new Set(this.managed);
    if (touched) managed.add(touched);
    try {
      const installed = parseIpvsSave(await this.run(['ipvsadm', '-Sn']));
      const lines = ipvsRestoreLines(installed, [...next.values()], managed);
      if (lines.length) await this.run(['ipvsadm', '-R'], lines.join('\n') + '\n');
    } catch (err) {
      throw new Error(`ipvs back end: ${what}: ${(err as Error).message}`);
    }
    this.desired.clear();
    for (const [k, v] of next) this.desired.set(k, v);
    this.managed.clear();
    for (const k of next.keys()) this.managed.add(k);
    this.opts.logger?.info({ component: 'ipvs-lb', backend: 'ipvs', services: next.size }, what);
  }
}
