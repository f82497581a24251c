import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { formatAddr, parseAddr } from './address.js';

/** TCP frames carry one sealed push/pull each; a full state of thousands of members fits easily. */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;
const TCP_TIMEOUT_MS = 10_000;

export type Inbound = (fromAddr: string, bytes: Buffer, reliable: boolean) => void;

/**
 * The gossip port: UDP for probes and gossip, TCP on the same port number for push/pull
 * (a full state is too big for a datagram and must not be lost). Only bytes cross this
 * class; sealing and the protocol live elsewhere.
 */
export class GossipSockets {
  private readonly open = new Set<net.Socket>();
  private closed = false;

  private constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly addr: string,
    private readonly onInbound: Inbound,
    private readonly onError: (what: string, err: Error) => void,
  ) {
    udp.on('message', (msg, rinfo) => {
      if (!this.closed) this.onInbound(formatAddr(rinfo.address, rinfo.port), msg, false);
    });
    udp.on('error', (err) => this.onError('udp socket', err));
    tcp.on('connection', (socket) => this.acceptStream(socket));
    tcp.on('error', (err) => this.onError('tcp listener', err));
  }

  /** Binds UDP and TCP to the same port on `host`; port 0 picks a free one for both. */
  static async bind(host: string, port: number, onInbound: Inbound, onError: (what: string, err: Error) => void): Promise<GossipSockets> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      const tcp = net.createServer();
      tcp.listen(port, host);
      try {
        await once(tcp, 'listening');
      } catch (err) {
        lastError = err;
        if (port !== 0) break;
        continue;
      }
      const chosen = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      try {
        udp.bind(chosen, host);
        await once(udp, 'listening');
        return new GossipSockets(udp, tcp, formatAddr(host, chosen), onInbound, onError);
      } catch (err) {
        // The UDP port of that number is taken by someone else: try another pair.
        lastError = err;
        udp.close();
        tcp.close();
        if (port !== 0) break;
      }
    }
    throw new Error(`gossip: could not bind udp+tcp on ${formatAddr(host, port)}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }

  sendDatagram(to: string, bytes: Uint8Array): void {
    if (this.closed) return;
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseAddr(to));
    } catch (err) {
      // A bad address came from a peer's rumour: never let it take the node down.
      this.onError(`udp send to ${JSON.stringify(to)}`, err as Error);
      return;
    }
    this.udp.send(bytes, port, host, (err) => {
      if (err && !this.closed) this.onError(`udp send to ${to}`, err);
    });
  }

  /** Sends one framed message over a fresh TCP connection; rejects if it cannot be delivered. */
  async sendStream(to: string, bytes: Uint8Array): Promise<void> {
    if (this.closed) return;
    const { host, port } = parseAddr(to); // throws inside the async function: the caller's catch sees it
    const socket = net.connect({ host, port });
    this.open.add(socket);
    socket.setTimeout(TCP_TIMEOUT_MS, () => socket.destroy(new Error(`push/pull to ${to} timed out`)));
    try {
      await once(socket, 'connect');
      const header = Buffer.alloc(4);
      header.writeUInt32BE(bytes.length);
      socket.end(Buffer.concat([header, bytes]));
      await once(socket, 'close');
    } finally {
      this.open.delete(socket);
      socket.destroy();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private acceptStream(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.open.add(socket);
    const from = formatAddr(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(TCP_TIMEOUT_MS, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FRAME_BYTES + 4) {
        this.onError(`push/pull from ${from}`, new Error(`stream larger than ${MAX_FRAME_BYTES} bytes`));
        socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const length = all.length >= 4 ? all.readUInt32BE(0) : -1;
      if (length < 0 || all.length !== length + 4) {
        this.onError(`push/pull from ${from}`, new Error(`bad frame: ${all.length} bytes, header says ${length}`));
      } else if (!this.closed) {
        this.onInbound(from, all.subarray(4), true);
      }
      socket.end();
    });
    socket.on('error', () => { /* the peer went away mid-stream: nothing was delivered */ });
    socket.on('close', () => this.open.delete(socket));
  }
}
