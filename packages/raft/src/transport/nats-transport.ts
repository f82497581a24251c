// Raft messages over NATS: each member subscribes to flt.<cluster>.raft.<memberId> and peers
// publish binary RaftTransportFrames there. Fire-and-forget: publish only buffers, never waits,
// so the Raft loop is never blocked by a slow or absent peer; Raft itself retries.
import { RaftMessageType, RaftTransportFrame, type RaftMessage } from '@flotilla/api';
import { clusterSubjects, type BusConnection, type ClusterSubjects } from '@flotilla/bus';
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { ChunkAssembler, DEFAULT_CHUNK_BYTES, encodeFrames } from './chunks.js';
import type { DropFilter } from './drop-filter.js';

type NatsConnection = BusConnection['nc'];
type NatsSubscription = ReturnType<NatsConnection['subscribe']>;

export interface NatsRaftTransportOptions {
  nc: NatsConnection;
  clusterId: string;
  memberId: number;
  /** Called synchronously for every message addressed to this member (snapshots after reassembly). */
  onMessage: (m: RaftMessage) => void;
  /** Told once a snapshot has been handed to NATS in full (true) or could not be (false). */
  onSnapshotSent?: (to: number, sent: boolean) => void;
  logger?: Logger;
  /** Frames above this size are split. Default 256 KiB. */
  chunkBytes?: number;
  /** A half-received chunked message is forgotten after this long. Default 30 s. */
  chunkStaleMs?: number;
}

export interface TransportStats {
  sent: number;
  received: number;
  dropped: number;
  chunksSent: number;
}

export class NatsRaftTransport {
  private readonly subjects: ClusterSubjects;
  private readonly logger: Logger;
  private readonly chunkBytes: number;
  private readonly assembler: ChunkAssembler;
  private sub: NatsSubscription | undefined;
  private dropFilter: DropFilter | undefined;
  private closed = false;
  readonly stats: TransportStats = { sent: 0, received: 0, dropped: 0, chunksSent: 0 };

  constructor(private readonly opts: NatsRaftTransportOptions) {
    this.subjects = clusterSubjects(opts.clusterId);
    this.logger = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'raft-transport', memberId: opts.memberId });
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isInteger(this.chunkBytes) || this.chunkBytes < 1024) {
      throw new Error(`raft transport of member ${opts.memberId}: chunkBytes must be an integer >= 1024, got ${this.chunkBytes}`);
    }
    this.assembler = new ChunkAssembler(opts.chunkStaleMs ?? 30_000);
  }

  /** Subscribes to this member's subject. */
  start(): void {
    if (this.sub !== undefined) return;
    const subject = this.subjects.raft.member(String(this.opts.memberId));
    this.sub = this.opts.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          this.logger.error({ err, subject }, 'raft subscription failed');
          return;
        }
        this.receive(msg.data);
      },
    });
    this.logger.debug({ subject }, 'raft transport listening');
  }

  /** Installs (or with undefined removes) a filter that drops chosen messages both ways. */
  setDropFilter(filter: DropFilter | undefined): void {
    this.dropFilter = filter;
  }

  send(messages: readonly RaftMessage[]): void {
    for (const m of messages) this.sendOne(m);
  }

  /** Stops receiving. The connection belongs to the caller. */
  close(): void {
    this.closed = true;
    if (this.sub !== undefined && !this.sub.isClosed()) this.sub.unsubscribe();
    this.sub = undefined;
  }

  private sendOne(m: RaftMessage): void {
    const isSnap = m.type === RaftMessageType.RAFT_MSG_SNAP;
    if (this.closed || this.dropFilter?.(m, 'out')) {
      this.stats.dropped++;
      // Like an unreachable peer: the leader will retry the snapshot later.
      if (isSnap) this.opts.onSnapshotSent?.(m.to, false);
      return;
    }
    const subject = this.subjects.raft.member(String(m.to));
    try {
      const frames = encodeFrames(m, this.chunkBytes, () => randomBytes(8).toString('hex'));
      for (const f of frames) this.opts.nc.publish(subject, f);
      this.stats.sent++;
      if (frames.length > 1) {
        this.stats.chunksSent += frames.length;
        this.logger.debug({ to: m.to, type: m.type, chunks: frames.length }, 'sent chunked raft message');
      }
      if (isSnap) this.opts.onSnapshotSent?.(m.to, true);
    } catch (err) {
      // A closed or reconnecting connection: the message is lost, which Raft tolerates.
      this.stats.dropped++;
      this.logger.debug({ err, to: m.to, type: m.type }, 'could not publish raft message');
      if (isSnap) this.opts.onSnapshotSent?.(m.to, false);
    }
  }

  private receive(data: Uint8Array): void {
    if (this.closed) return;
    let m: RaftMessage | undefined;
    try {
      const frame = RaftTransportFrame.decode(data);
      const body = frame.body;
      if (body === undefined) throw new Error('empty frame');
      if (body.$case === 'message') m = body.value;
      else {
        if (this.dropFilter?.({ from: body.value.from, to: body.value.to } as RaftMessage, 'in')) {
          this.stats.dropped++;
          return;
        }
        m = this.assembler.add(body.value, Date.now());
      }
    } catch (err) {
      this.logger.warn({ err, bytes: data.length }, 'dropping undecodable raft frame');
      return;
    }
    if (m === undefined) return;
    if (m.to !== this.opts.memberId) {
      this.logger.warn({ to: m.to, from: m.from, type: m.type }, 'dropping raft message addressed to another member');
      return;
    }
    if (this.dropFilter?.(m, 'in')) {
      this.stats.dropped++;
      return;
    }
    this.stats.received++;
    try {
      this.opts.onMessage(m);
    } catch (err) {
      this.logger.error({ err, from: m.from, type: m.type }, 'raft member failed to take a message');
    }
  }
}
