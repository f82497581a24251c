import dgram from 'node:dgram';
import type { Backend } from './tcp-proxy.js';

interface Session {
  backend: string;
  socket: dgram.Socket;
  lastUsed: number;
}

/**
 * UDP forwarding for the userspace back end: each client (address:port) is pinned to one
 * backend, picked in turn, through its own socket so replies find their way back; sessions
 * idle for `idleMs` end. Sessions to a backend that leaves the set end at once.
 */
export class UserspaceUdpProxy {
  private server?: dgram.Socket;
  private backends: Backend[] = [];
  private next = 0;
  private readonly sessions = new Map<string, Session>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly idleMs = 30_000) {}

  setBackends(backends: Backend[]): void {
    this.backends = [...backends];
    const keep = new Set(backends.map((b) => `${b.host}:${b.port}`));
    for (const [client, s] of this.sessions) {
      if (!keep.has(s.backend)) this.endSession(client, s);
    }
  }

  async listen(port: number, host: string): Promise<number> {
    const server = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.bind(port, host, () => resolve());
    });
    this.server = server;
    server.on('message', (msg, rinfo) => this.forward(msg, rinfo));
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.idleMs / 2));
    this.sweeper.unref();
    return server.address().port;
  }

  private forward(msg: Buffer, from: dgram.RemoteInfo): void {
    const client = `${from.address}:${from.port}`;
    let s = this.sessions.get(client);
    if (!s) {
      if (this.backends.length === 0) return;
      const target = this.backends[this.next % this.backends.length]!;
      this.next = (this.next + 1) % this.backends.length;
      const socket = dgram.createSocket('udp4');
      socket.on('message', (reply) => {
        const cur = this.sessions.get(client);
        if (cur) cur.lastUsed = Date.now();
        this.server?.send(reply, from.port, from.address);
      });
      socket.on('error', () => this.endSession(client, this.sessions.get(client)));
      s = { backend: `${target.host}:${target.port}`, socket, lastUsed: Date.now() };
      this.sessions.set(client, s);
      socket.connect(target.port, target.host);
    }
    s.lastUsed = Date.now();
    const session = s;
    const send = (): void => session.socket.send(msg, () => undefined);
    // Datagrams that arrive before connect() completes wait for it.
    try {
      session.socket.remoteAddress();
      send();
    } catch {
      session.socket.once('connect', send);
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [client, s] of this.sessions) if (s.lastUsed < cutoff) this.endSession(client, s);
  }

  private endSession(client: string, s: Session | undefined): void {
    if (!s) return;
    this.sessions.delete(client);
    try {
      s.socket.close();
    } catch {
      // already closed
    }
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const [client, s] of this.sessions) this.endSession(client, s);
    const server = this.server;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
