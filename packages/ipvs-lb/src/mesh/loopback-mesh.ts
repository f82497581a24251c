import type { Logger } from 'pino';
import { SerialQueue } from '../lb/serial.js';
import { UserspaceMesh, type RoutingMesh } from './userspace-mesh.js';

/**
 * The kernel routing mesh plus a userspace listener on 127.0.0.1:<published> per TCP port, so
 * a published port answers on localhost as with Docker. Why not iptables for that too: the
 * kernel drops a packet whose source is 127.0.0.1 once it is routed off `lo` (a DNAT to a
 * task or another node), unless `route_localnet` is turned on for the host and the traffic is
 * masqueraded — a host-wide change that also lets 127/8 be reached from outside. A listener
 * bound to loopback changes nothing for anyone else; the kernel rules keep every other
 * address (they skip 127.0.0.0/8, so the two never see the same connection). It connects to
 * the same targets the kernel rules use, with this node's own address as source: another
 * node sees a peer and sends the connection to its local tasks only, as for a DNAT.
 * UDP ports are not answered on loopback.
 */
export class KernelMeshWithLoopback implements RoutingMesh {
  private readonly loopback: UserspaceMesh;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly kernel: RoutingMesh,
    private readonly opts: { logger?: Logger } = {},
  ) {
    this.loopback = new UserspaceMesh({ host: '127.0.0.1', ...(opts.logger ? { logger: opts.logger } : {}) });
  }

  apply(desired: Parameters<RoutingMesh['apply']>[0]): Promise<void> {
    return this.queue.run(async () => {
      await this.kernel.apply(desired);
      // A port already taken on loopback (an engine's host-mode port…) must not undo the kernel mesh.
      // UDP is the kernel's alone (served on every other address): not handed over, so the
      // userspace mesh does not warn that it is unpublished.
      const tcp = { ...desired, ports: desired.ports.filter((p) => p.protocol === 'tcp') };
      await this.loopback.apply(tcp).catch((err: Error) =>
        this.opts.logger?.warn({ component: 'ipvs-lb', err: err.message }, 'published port not answered on 127.0.0.1'),
      );
    });
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      await this.loopback.close();
      await this.kernel.close();
    });
  }
}
