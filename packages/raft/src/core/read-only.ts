import type { RaftMessage } from '@flotilla/api';

interface ReadIndexStatus {
  req: RaftMessage;
  index: number;
  acks: Set<number>;
}

/**
 * Read-index requests waiting on the leader for a quorum of heartbeat acks, which prove
 * it was still leader when the request arrived (Raft thesis §6.4).
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private readonly queue: string[] = [];

  /** Registers a request (its context is req.entries[0].data) to be confirmed at commit index `index`. */
  addRequest(index: number, req: RaftMessage): void {
    const key = ctxKey(req.entries[0]?.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat ack carrying ctx; returns who has acked that request so far. */
  recvAck(id: number, ctx: Uint8Array): Set<number> | undefined {
    const rs = this.pending.get(ctxKey(ctx));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /**
   * The request with ctx is confirmed; so is every request queued before it, because the
   * same quorum answered a heartbeat sent after they arrived. Returns them in order.
   */
  advance(ctx: Uint8Array): { index: number; req: RaftMessage }[] {
    const key = ctxKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.splice(0, at + 1);
    const out: { index: number; req: RaftMessage }[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      this.pending.delete(k);
      if (rs !== undefined) out.push({ index: rs.index, req: rs.req });
    }
    return out;
  }

  lastPendingRequestCtx(): Buffer | undefined {
    const k = this.queue[this.queue.length - 1];
    if (k === undefined) return undefined;
    return this.pending.get(k)?.req.entries[0]?.data;
  }

  size(): number {
    return this.queue.length;
  }
}

function ctxKey(ctx: Uint8Array | undefined): string {
  return ctx === undefined ? '' : Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString('latin1');
}
