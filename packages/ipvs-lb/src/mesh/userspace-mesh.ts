import type { Logger } from 'pino';
import { SerialQueue } from '../lb/serial.js';
import { UserspaceTcpProxy } from '../userspace/tcp-proxy.js';
import { validateMesh } from './iptables-mesh.js';
import type { MeshDesired } from './rules.js';

/** What the controller needs of a routing mesh, whatever programs it. */
export interface RoutingMesh {
  apply(desired: MeshDesired): Promise<void>;
  close(): Promise<void>;
}

/**
 * The routing mesh without iptables: a TCP listener on 0.0.0.0:<published> per port, as
 * Docker's userland proxy, forwarding each connection to a serving task — a local one by its
 * ingress address, a remote one through its node's published port; a connection from another
 * node goes to local tasks only (see meshRules for why). UDP ports are not served here.
 */
export class UserspaceMesh implements RoutingMesh {
  private readonly listeners = new Map<number, UserspaceTcpProxy>();
  private readonly queue = new SerialQueue();

  constructor(private readonly opts: { host?: string; logger?: Logger } = {}) {}

  apply(desired: MeshDesired): Promise<void> {
    validateMesh(desired);
    return this.queue.run(async () => {
      const tcp = desired.ports.filter((p) => p.protocol === 'tcp');
      for (const p of desired.ports.filter((x) => x.protocol === 'udp')) {
        this.opts.logger?.warn({ component: 'ipvs-lb', port: p.publishedPort, service: p.serviceName }, 'the userspace routing mesh serves TCP only: UDP port not published');
      }
      const wanted = new Set(tcp.map((p) => p.publishedPort));
      for (const [port, proxy] of this.listeners) {
        if (wanted.has(port)) continue;
        this.listeners.delete(port);
        await proxy.close();
      }
      // One port that cannot be bound (taken by someone else) must not keep the others unpublished.
      const failures: string[] = [];
      for (const p of tcp) {
        let proxy = this.listeners.get(p.publishedPort);
        if (!proxy) {
          const fresh = new UserspaceTcpProxy();
          try {
            await fresh.listen(p.publishedPort, this.opts.host ?? '0.0.0.0');
          } catch (err) {
            failures.push(`listening on port ${p.publishedPort} for ${p.serviceName}: ${(err as Error).message}`);
            continue;
          }
          this.listeners.set(p.publishedPort, fresh);
          proxy = fresh;
        }
        const all = p.targets.map((t) => ({ host: t.addr, port: t.port }));
        const local = p.targets.filter((t) => t.kind === 'local').map((t) => ({ host: t.addr, port: t.port }));
        proxy.setBackends(all, { peers: desired.peers, backends: local });
      }
      if (failures.length > 0) throw new Error(`userspace routing mesh: ${failures.join('; ')}`);
    });
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      const all = [...this.listeners.values()];
      this.listeners.clear();
      await Promise.all(all.map((p) => p.close()));
    });
  }
}
