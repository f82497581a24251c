import { SerialQueue } from '../lb/serial.js';
import { vipKey, type BackendAddr, type LoadBalancer, type Vip } from '../lb/types.js';
import { validateBackends, validateVip } from '../lb/validate.js';
import { UserspaceTcpProxy, type Backend } from './tcp-proxy.js';
import { UserspaceUdpProxy } from './udp-proxy.js';

type Proxy = UserspaceTcpProxy | UserspaceUdpProxy;

/**
 * The last resort: one userspace proxy per VIP, listening on the VIP itself (the agent puts
 * the VIP on a local interface first). A new backend list is swapped in whole and applies
 * to the next connection (TCP) or the next new client (UDP).
 */
export class UserspaceBackend implements LoadBalancer {
  readonly kind = 'userspace' as const;
  private readonly proxies = new Map<string, Proxy>();
  private readonly queue = new SerialQueue();

  constructor(private readonly opts: { udpIdleMs?: number } = {}) {}

  async ensureService(vip: Vip, backends: readonly BackendAddr[]): Promise<void> {
    validateVip(vip);
    validateBackends(vip, backends);
    const list: Backend[] = backends.map((b) => ({ host: b.addr, port: b.port }));
    return this.queue.run(async () => {
      const key = vipKey(vip);
      let proxy = this.proxies.get(key);
      if (!proxy) {
        const fresh = vip.protocol === 'tcp' ? new UserspaceTcpProxy() : new UserspaceUdpProxy(this.opts.udpIdleMs);
        try {
          await fresh.listen(vip.port, vip.addr);
        } catch (err) {
          throw new Error(`userspace back end: listening on ${key}: ${(err as Error).message}`);
        }
        this.proxies.set(key, fresh);
        proxy = fresh;
      }
      proxy.setBackends(list);
    });
  }

  async removeService(vip: Vip): Promise<void> {
    validateVip(vip);
    return this.queue.run(async () => {
      const key = vipKey(vip);
      const proxy = this.proxies.get(key);
      this.proxies.delete(key);
      await proxy?.close();
    });
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      const all = [...this.proxies.values()];
      this.proxies.clear();
      await Promise.all(all.map((p) => p.close()));
    });
  }
}
