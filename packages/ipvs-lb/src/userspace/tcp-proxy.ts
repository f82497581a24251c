import net from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

/**
 * The last-resort back end: a TCP listener that forwards each connection to the next
 * backend in turn. The backend set follows task health: `setBackends` takes effect for the
 * next connection, and a connection whose backend refuses is retried on the others before
 * the client sees a failure.
 */
export class UserspaceTcpProxy {
  private server?: net.Server;
  private backends: Backend[] = [];
  private peers = new Set<string>();
  private peerBackends: Backend[] = [];
  // One turn per list: picks for peers must not move the turn of the others.
  private readonly next = new Map<Backend[], number>();
  private readonly open = new Set<net.Socket>();

  /**
   * `fromPeers`: connections from these source addresses use only these backends (the
   * routing mesh: another node already chose this one, so only local tasks are candidates).
   */
  setBackends(backends: Backend[], fromPeers?: { peers: readonly string[]; backends: Backend[] }): void {
    // New lists start their turns where the old ones were, so frequent updates still rotate.
    const turn = this.next.get(this.backends) ?? 0;
    const peerTurn = this.next.get(this.peerBackends) ?? 0;
    this.next.clear();
    this.backends = [...backends];
    this.peers = new Set(fromPeers?.peers ?? []);
    this.peerBackends = [...(fromPeers?.backends ?? [])];
    this.next.set(this.backends, turn);
    this.next.set(this.peerBackends, peerTurn);
  }

  async listen(port: number, host: string): Promise<number> {
    const server = net.createServer((client) => this.forward(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  private pick(list: Backend[], exclude: Set<number>): number | undefined {
    const n = list.length;
    const turn = this.next.get(list) ?? 0;
    for (let i = 0; i < n; i++) {
      const idx = (turn + i) % n;
      if (!exclude.has(idx)) {
        this.next.set(list, (idx + 1) % n);
        return idx;
      }
    }
    return undefined;
  }

  private forward(client: net.Socket): void {
    this.open.add(client);
    client.on('close', () => this.open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const tried = new Set<number>();
    const from = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    const list = this.peers.has(from) ? this.peerBackends : this.backends;
    const attempt = (): void => {
      const idx = this.pick(list, tried);
      if (idx === undefined) {
        client.destroy();
        return;
      }
      tried.add(idx);
      const target = list[idx]!;
      const upstream = net.connect(target.port, target.host);
      this.open.add(upstream);
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.end());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      upstream.once('error', () => {
        upstream.destroy();
        attempt();
      });
      upstream.on('close', () => this.open.delete(upstream));
    };
    attempt();
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
