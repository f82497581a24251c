import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import { RefusalLog, silentLogger, type RefusalCount } from '@flotilla/bus';
import { inSubnet } from '../node-plan/cidr.js';
import { decide, fitUdp, reply, udpLimit, RCODE_SERVFAIL } from './answer.js';
import { forwardUdp, type UpstreamResolver } from './forward.js';
import { buildIndex, type DnsIndex, type DnsTable } from './table.js';

export interface EmbeddedDnsOptions {
  host: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  /** Where names that are not ours go; without one they get SERVFAIL. */
  upstream?: UpstreamResolver;
  ttl?: number;
  forwardTimeoutMs?: number;
  logger?: Logger;
  /**
   * The network's subnet, e.g. "10.0.1.0/24": only its containers are answered. Anything else
   * (a container of another network, a host that routes to the gateway address through this
   * node) is dropped unanswered and counted, so the server is neither a window on another
   * network's names nor an open resolver. Unset: everyone (tests on loopback).
   */
  clients?: string;
  /** TCP connections open at once (default 64); more are closed at once. */
  maxTcpConnections?: number;
  /** A TCP connection idle this long is closed (default 10 s). */
  tcpIdleMs?: number;
  /**
   * Where refusals are counted and summed up: a node's servers share one (NodeLbController),
   * so its count covers every network and a flood costs one summary line per cause, not one
   * per network. Default: a log of this server's own, stopped with it.
   */
  refusals?: RefusalLog;
}

/** How the embedded DNS sums its refusals up in the log (one line per cause and interval). */
export function embeddedDnsRefusalLog(log: Logger): RefusalLog {
  return new RefusalLog({ log, what: 'embedded DNS', noun: 'queries', nouns: { 'tcp-busy': 'connections' } });
}

/** Queries one TCP connection may have unanswered (pipelined); more close it. */
const MAX_TCP_PENDING = 16;

/**
 * The embedded DNS: answers service and task names from the table the agent feeds with
 * `setTable`, forwards the rest. UDP and TCP on one port; the logic lives in table.ts and
 * answer.ts, this class only owns the sockets.
 */
export class EmbeddedDnsServer {
  private index: DnsIndex = buildIndex({ services: [] });
  private byClient = new Map<string, DnsIndex>();
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly conns = new Set<net.Socket>();
  private readonly refusals: RefusalLog;

  private readonly ownsRefusals: boolean;

  constructor(private readonly opts: EmbeddedDnsOptions) {
    this.ownsRefusals = opts.refusals === undefined;
    this.refusals = opts.refusals ?? embeddedDnsRefusalLog((opts.logger ?? silentLogger()).child({ component: 'ipvs-lb', dns: opts.host }));
  }

  /** Queries and connections refused since start, by cause (not-on-network, tcp-busy, tcp-pipelined). */
  refused(): RefusalCount[] {
    return this.refusals.counts();
  }

  private allowed(client: string | undefined): boolean {
    if (this.opts.clients === undefined) return true;
    const addr = (client ?? '').replace(/^::ffff:/, '');
    if (inSubnet(addr, this.opts.clients)) return true;
    this.refusals.refuse('not-on-network', addr);
    return false;
  }

  /** Replaces the whole table; a bad table is refused and the old one stays. */
  setTable(table: DnsTable): void {
    this.setTables(table, new Map());
  }

  /**
   * Replaces the table and the tables of particular clients (by source address): a container
   * on several networks sees the names of all of them. All are checked before any is used;
   * a bad one is refused and the old ones stay.
   */
  setTables(table: DnsTable, byClient: ReadonlyMap<string, DnsTable>): void {
    const index = buildIndex(table);
    const clients = new Map<string, DnsIndex>();
    for (const [addr, t] of byClient) clients.set(addr, buildIndex(t));
    this.index = index;
    this.byClient = clients;
  }

  async start(): Promise<number> {
    const udp = dgram.createSocket(this.opts.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port, this.opts.host, () => resolve());
    });
    this.udp = udp;
    const port = udp.address().port;
    udp.on('message', (msg, rinfo) => {
      if (!this.allowed(rinfo.address)) return;
      void this.handle(msg, 'udp', rinfo.address).then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
    });
    const tcp = net.createServer((sock) => this.serveTcp(sock));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, this.opts.host, () => resolve());
    }).catch(async (err: Error) => {
      udp.close();
      throw new Error(`embedded DNS: listening on TCP ${this.opts.host}:${port}: ${err.message}`);
    });
    this.tcp = tcp;
    return port;
  }

  /** One raw query in, one raw reply out (undefined: drop, the query was not DNS). */
  private async handle(msg: Buffer, transport: 'udp' | 'tcp', client: string | undefined): Promise<Buffer | undefined> {
    let query;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    if (query.type === 'response') return undefined;
    const index = (client !== undefined ? this.byClient.get(client.replace(/^::ffff:/, '')) : undefined) ?? this.index;
    const d = decide(index, query, this.opts.ttl ?? 30);
    if (d.kind === 'reply') return dnsPacket.encode(transport === 'udp' ? fitUdp(d.packet, udpLimit(query)) : d.packet);
    if (this.opts.upstream) {
      const answer = await forwardUdp(this.opts.upstream, msg, this.opts.forwardTimeoutMs ?? 2000);
      if (answer) return answer;
      this.opts.logger?.warn(
        { component: 'ipvs-lb', upstream: this.opts.upstream, name: query.questions?.[0]?.name },
        'embedded DNS: upstream resolver did not answer',
      );
    }
    return dnsPacket.encode(reply(query, RCODE_SERVFAIL));
  }

  // DNS over TCP: each message is preceded by its 2-byte length.
  private serveTcp(sock: net.Socket): void {
    if (!this.allowed(sock.remoteAddress)) {
      sock.destroy();
      return;
    }
    if (this.conns.size >= (this.opts.maxTcpConnections ?? 64)) {
      sock.destroy();
      this.refusals.refuse('tcp-busy', sock.remoteAddress?.replace(/^::ffff:/, ''));
      return;
    }
    this.conns.add(sock);
    sock.setTimeout(this.opts.tcpIdleMs ?? 10_000, () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    let pending = 0;
    sock.on('data', (chunk: Buffer) => {
      // The 2-byte prefix bounds what waits here to one message (64 KiB); what bounds the work
      // queued for a connection is the number of its queries not answered yet.
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (++pending > MAX_TCP_PENDING) {
          sock.destroy();
          this.refusals.refuse('tcp-pipelined', sock.remoteAddress?.replace(/^::ffff:/, ''));
          return;
        }
        void this.handle(msg, 'tcp', sock.remoteAddress).then((out) => {
          pending--;
          if (!out || sock.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(out.length);
          sock.write(Buffer.concat([head, out]));
        });
      }
    });
  }

  async close(): Promise<void> {
    if (this.ownsRefusals) this.refusals.stop();
    for (const s of this.conns) s.destroy();
    const udp = this.udp;
    const tcp = this.tcp;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}
