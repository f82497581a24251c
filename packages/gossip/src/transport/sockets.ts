import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { PACKET_OVERHEAD } from '../crypto/keyring.js';
import { formatAddr, parseAddr } from './address.js';
import { FrameReader } from './frame-reader.js';
import { DEFAULT_STREAM_LIMITS } from './limits.js';
import { StreamAdmission, type StreamLimits } from './stream-admission.js';

/** Our own push/pull to a peer gives up after this long without progress. */
const OUTBOUND_TIMEOUT_MS = 10_000;

/** Where a packet came from as an address and a port: "host:port" is made only for packets that open. */
export type Inbound = (fromHost: string, fromPort: number, bytes: Buffer, reliable: boolean) => void;

/**
 * Why the sockets refused what a remote party sent, before anything was authenticated:
 * `datagram-oversize` (a datagram larger than any of ours), `frame-oversize` / `frame-undersize`
 * (the length prefix says a size no sealed push/pull has), `frame-trailing` (bytes after the
 * frame), `frame-truncated` (the stream ended mid-frame), `frame-deadline` (not complete by the
 * stream's deadline), `frame-busy` (the bytes all inbound streams may hold are taken),
 * `too-many-from-source` / `too-many-streams` (connection caps).
 */
export type SocketRefusal =
  | 'datagram-oversize'
  | 'frame-oversize'
  | 'frame-undersize'
  | 'frame-trailing'
  | 'frame-truncated'
  | 'frame-deadline'
  | 'frame-busy'
  | 'too-many-from-source'
  | 'too-many-streams';

/** `from` is the remote address without its port: caps and summaries count addresses. */
export type Refused = (cause: SocketRefusal, from: string, detail?: string) => void;

export interface GossipSocketsOptions {
  limits?: Partial<StreamLimits>;
  onRefused?: Refused;
  /**
   * Whether an address (without port) is a current member's: its streams count against the
   * members' caps, not the strangers' (StreamAdmission). Default: nobody is.
   */
  isMember?: (address: string) => boolean;
}

/**
 * The gossip port: UDP for probes and gossip, TCP on the same port number for push/pull
 * (a full state is too big for a datagram and must not be lost). Only bytes cross this
 * class; sealing and the protocol live elsewhere.
 */
export class GossipSockets {
  private readonly open = new Set<net.Socket>();
  private closed = false;
  readonly limits: StreamLimits;
  private readonly admission: StreamAdmission;
  private readonly onRefused: Refused;
  private readonly isMember: (address: string) => boolean;

  private constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly addr: string,
    private readonly onInbound: Inbound,
    private readonly onError: (what: string, err: Error) => void,
    options: GossipSocketsOptions,
  ) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
    this.admission = new StreamAdmission(this.limits);
    this.onRefused = options.onRefused ?? (() => undefined);
    this.isMember = options.isMember ?? (() => false);
    udp.on('message', (msg, rinfo) => {
      if (this.closed) return;
      if (msg.length > this.limits.maxDatagramBytes) {
        this.onRefused('datagram-oversize', rinfo.address, `${msg.length} bytes > ${this.limits.maxDatagramBytes}`);
        return;
      }
      this.onInbound(rinfo.address, rinfo.port, msg, false);
    });
    udp.on('error', (err) => this.onError('udp socket', err));
    tcp.on('connection', (socket) => this.acceptStream(socket));
    tcp.on('error', (err) => this.onError('tcp listener', err));
  }

  /** Binds UDP and TCP to the same port on `host`; port 0 picks a free one for both. */
  static async bind(host: string, port: number, onInbound: Inbound, onError: (what: string, err: Error) => void, options: GossipSocketsOptions = {}): Promise<GossipSockets> {
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
        return new GossipSockets(udp, tcp, formatAddr(host, chosen), onInbound, onError, options);
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
    socket.setTimeout(OUTBOUND_TIMEOUT_MS, () => socket.destroy(new Error(`push/pull to ${to} timed out`)));
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

  /** Inbound streams open now and the body bytes they hold (for tests and figures). */
  get inbound(): { streams: number; bufferedBytes: number } {
    return { streams: this.admission.openStreams, bufferedBytes: this.admission.bufferedBytes };
  }

  /**
   * One inbound push/pull: admitted only within the per-source and total caps (members' and
   * strangers' apart), closed at an
   * absolute deadline, its length prefix checked before any of the body is kept, its body bytes
   * counted against the budget of all inbound streams. Exactly one frame per stream; the frame
   * is handed on as soon as it is complete and the stream closed.
   */
  private acceptStream(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const source = (socket.remoteAddress ?? '?').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const place = this.admission.admit(source, this.isMember(source) ? 'member' : 'stranger');
    if (typeof place === 'string') {
      socket.destroy();
      this.onRefused(place, source);
      return;
    }
    this.open.add(socket);
    const reader = new FrameReader(this.limits.maxFrameBytes, PACKET_OVERHEAD + 1);
    let held = 0;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      this.admission.release(place);
      this.admission.drop(place, held);
      held = 0;
      this.open.delete(socket);
      socket.destroy();
    };
    const refuse = (cause: SocketRefusal, detail: string): void => {
      finish();
      this.onRefused(cause, source, detail);
    };
    let delivered = false;
    const deadline = setTimeout(() => {
      // Delivered but the peer has not closed its side yet: nothing was refused.
      if (delivered) return finish();
      const got = reader.declared === undefined ? 'no length prefix' : `${reader.buffered} of ${reader.declared} bytes`;
      refuse('frame-deadline', `${got} after ${this.limits.streamDeadlineMs} ms`);
    }, this.limits.streamDeadlineMs);
    deadline.unref();
    socket.on('data', (chunk: Buffer) => {
      if (finished) return;
      if (!this.admission.hold(place, chunk.length)) {
        refuse('frame-busy', `inbound ${place.kind} streams already hold ${this.admission.bufferedBy(place.kind)} bytes`);
        return;
      }
      held += chunk.length;
      const step = reader.push(chunk);
      if (step.kind === 'more') return;
      if (step.kind === 'refused') {
        refuse(`frame-${step.cause}`, step.detail);
        return;
      }
      // The sender closes its side after the frame: ours closes gracefully too (a reset could
      // fail its push/pull); the place is given back on close or at the deadline.
      this.admission.drop(place, held);
      held = 0;
      delivered = true;
      socket.end();
      if (!this.closed) this.onInbound(source, socket.remotePort ?? 0, step.frame, true);
    });
    socket.on('end', () => {
      const step = reader.end();
      if (step?.kind === 'refused') refuse(`frame-${step.cause}`, step.detail);
      else finish();
    });
    socket.on('error', () => finish()); // the peer went away mid-stream: nothing was delivered
    socket.on('close', () => finish());
  }
}
